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
}
