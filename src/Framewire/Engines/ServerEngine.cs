namespace Framewire.Engines;

/// <summary>Which engine runs a <see cref="MessageServer"/>'s sockets.</summary>
public enum ServerEngine
{
    /// <summary>
    /// .NET's async sockets and System.IO.Pipelines: every platform, TLS-capable, handlers may await freely.
    /// </summary>
    Async,

    /// <summary>
    /// Event loops on a selector (epoll on Linux) calling non-blocking socket operations directly, as the tutorial's
    /// "async from scratch" does: the fastest engine; Unix only.
    /// </summary>
    Selector,

    /// <summary>
    /// Event loops on io_uring (Linux 6.1 or later): multishot accept and receive into provided buffers, every read and
    /// send of a loop turn submitted in one system call. Plain TCP only. Where io_uring is missing or refused, the
    /// server says so in a warning and runs on <see cref="Selector"/>.
    /// </summary>
    Uring,
}
