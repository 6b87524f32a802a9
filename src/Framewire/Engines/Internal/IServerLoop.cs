namespace Framewire.Engines.Internal;

/// <summary>
/// One thread of a loop engine (selector, uring) as <see cref="LoopEngine{TLoop, TListener}"/> drives it: started with
/// its sweep, work posted onto it, a graceful shutdown, an abort, and the task that completes when it has ended.
/// </summary>
internal interface IServerLoop : IDisposable
{
    /// <summary>Completes when the loop's thread has left its loop.</summary>
    Task Stopped { get; }

    /// <summary>Sweeps the loop's connections for timeouts every <paramref name="interval"/>. Before <see cref="Start"/>.</summary>
    void StartSweeping(TimeSpan interval);

    /// <summary>Starts the loop's thread.</summary>
    void Start();

    /// <summary>Runs <paramref name="action"/> on the loop's thread. Any thread.</summary>
    void Post(Action action);

    /// <summary>Asks every connection to finish what it has and close; the loop ends when none is left. Loop thread only.</summary>
    void BeginShutdown();

    /// <summary>Closes every connection at once and ends the loop. Loop thread only.</summary>
    void Abort();
}
