using System.Net.Sockets;

namespace Framewire.Selectors;

/// <summary>
/// One registration with a <see cref="Selector"/>: Python's <c>SelectorKey(fileobj, fd, events, data)</c>.
/// </summary>
/// <remarks>
/// A key is the registration's identity for as long as it lasts: <see cref="Selector.Modify(Socket, SelectorEvents)"/>
/// updates it in place and returns it, so a key held by the caller never goes stale and changing the interest of a
/// connection allocates nothing.
/// </remarks>
public sealed class SelectorKey
{
    internal SelectorKey(Socket? socket, nint handle, SelectorEvents events, object? data)
    {
        Socket = socket;
        Handle = handle;
        Events = events;
        Data = data;
    }

    /// <summary>The registered socket, or null for a descriptor registered without one.</summary>
    public Socket? Socket { get; }

    /// <summary>The file descriptor (on Windows, the socket handle).</summary>
    public nint Handle { get; }

    /// <summary>The events the registration waits for.</summary>
    public SelectorEvents Events { get; internal set; }

    /// <summary>The caller's object attached to the registration.</summary>
    public object? Data { get; internal set; }

    // Where the implementation keeps this key in its own table, so that a ready event finds its key by index.
    internal int Slot { get; set; }
}
