namespace Framewire.Engines.Internal;

/// <summary>What a connection protocol asks of its engine after processing received bytes.</summary>
internal enum ProcessStatus
{
    /// <summary>Everything processable was processed; read more.</summary>
    NeedMoreData,

    /// <summary>A handler is still running; wait for it, then process again.</summary>
    Pending,

    /// <summary>
    /// The read-ahead limit is reached with input left: send the output, and once all of it has been taken
    /// (<see cref="ConnectionApplication.OnOutputDrained"/>), process again before reading more.
    /// </summary>
    Paused,

    /// <summary>An error frame was written; flush it and close the connection.</summary>
    Close,
}
