namespace Framewire.Engines;

/// <summary>What a <see cref="ConnectionApplication"/> asks of its engine after processing received bytes.</summary>
public enum ProcessStatus
{
    /// <summary>Everything processable was processed; read more.</summary>
    NeedMoreData,

    /// <summary>
    /// Work is still running (<see cref="ConnectionApplication.PendingWork"/>): the engine waits for it, then calls
    /// <see cref="ConnectionApplication.Process"/> again, with what was left of the input.
    /// </summary>
    Pending,

    /// <summary>
    /// The output is full (<see cref="ConnectionOutput.IsFull"/>) with input left: the engine sends, reads no more,
    /// and calls <see cref="ConnectionApplication.Process"/> again once the client has taken enough.
    /// </summary>
    Paused,

    /// <summary>The application has written its last bytes (an error frame, say): the engine sends them and closes.</summary>
    Close,
}
