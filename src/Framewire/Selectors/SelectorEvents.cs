namespace Framewire.Selectors;

/// <summary>The readiness a selector waits for and reports; the values are Python's <c>EVENT_READ</c> and <c>EVENT_WRITE</c>.</summary>
[Flags]
public enum SelectorEvents
{
    /// <summary>No event; not valid for registration.</summary>
    None = 0,

    /// <summary>Readable: data, a connection to accept, the peer's close, or an error.</summary>
    Read = 1,

    /// <summary>Writable: room in the send buffer, a completed connect, or an error.</summary>
    Write = 2,
}
