namespace Framewire.Engines.Internal;

/// <summary>A loop engine's listening socket on one of its loops.</summary>
internal interface IServerListener
{
    IServerLoop Loop { get; }

    /// <summary>Starts accepting on <see cref="Loop"/>. Before the loop starts.</summary>
    void StartAccepting();

    /// <summary>Stops accepting on <see cref="Loop"/>, then calls <paramref name="stopped"/> there. Loop thread only.</summary>
    void StopAccepting(Action stopped);
}
