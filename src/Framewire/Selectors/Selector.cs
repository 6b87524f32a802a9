using System.Collections.ObjectModel;
using System.ComponentModel;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Framewire.Selectors;

/// <summary>
/// Waits until registered sockets are ready to read or write: a counterpart of Python's <c>selectors</c> module, for
/// event loops that drive non-blocking sockets from one thread. <see cref="DefaultSelector.Create"/> picks the best
/// implementation for the platform.
/// </summary>
/// <remarks>
/// <para>Readiness is level-triggered, as in Python: a socket is reported by every <see cref="Select"/> for as long as it
/// stays ready.</para>
/// <para>Once warm, <see cref="Select"/> allocates nothing (except on <see cref="SocketSelectSelector"/>): the events it
/// returns live in a buffer that the next call reuses.</para>
/// <para>A selector is not thread-safe: one thread registers, selects and disposes. Unregister a socket before disposing
/// it; the kernel forgets a closed descriptor, but its number soon comes back with the next socket.</para>
/// </remarks>
public abstract class Selector : IDisposable
{
    // Every registration by descriptor, sockets or not: as in Python, a descriptor is registered once, whatever wraps it.
    private readonly Dictionary<nint, SelectorKey> _handles = [];
    private readonly Dictionary<Socket, SelectorKey> _sockets = [];
    private readonly ReadOnlyDictionary<Socket, SelectorKey> _map;
    private bool _disposed;

    private protected Selector() => _map = _sockets.AsReadOnly();

    /// <summary>The number of registered sockets.</summary>
    public int Count => _sockets.Count;

    /// <summary>Registers a socket for the given events.</summary>
    /// <param name="socket">The socket; it should be non-blocking, or a ready socket can still block its caller.</param>
    /// <param name="events"><see cref="SelectorEvents.Read"/>, <see cref="SelectorEvents.Write"/>, or both.</param>
    /// <param name="data">Any object to attach to the registration, returned with its events.</param>
    /// <returns>The new registration.</returns>
    /// <exception cref="ArgumentException"><paramref name="events"/> is not valid, or the socket is already registered.</exception>
    /// <exception cref="ObjectDisposedException">The selector or the socket is disposed.</exception>
    /// <exception cref="Win32Exception">The kernel refused the registration.</exception>
    public SelectorKey Register(Socket socket, SelectorEvents events, object? data = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ThrowIfDisposed();
        SafeSocketHandle handle = socket.SafeHandle;

        // A disposed socket's descriptor number may already belong to another socket.
        ObjectDisposedException.ThrowIf(handle.IsInvalid, socket);
        return Add(socket, handle.DangerousGetHandle(), events, data);
    }

    /// <summary>Registers a descriptor that has no <see cref="Socket"/>, such as an event loop's eventfd for wake-ups.</summary>
    internal SelectorKey Register(nint handle, SelectorEvents events, object? data = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(handle);
        ThrowIfDisposed();
        return Add(null, handle, events, data);
    }

    /// <summary>Changes the events a socket is registered for, and its data.</summary>
    /// <returns>The registration, updated in place.</returns>
    /// <exception cref="ArgumentException"><paramref name="events"/> is not valid.</exception>
    /// <exception cref="KeyNotFoundException">The socket is not registered.</exception>
    /// <exception cref="ObjectDisposedException">The selector is disposed.</exception>
    /// <exception cref="Win32Exception">The kernel refused the change.</exception>
    public SelectorKey Modify(Socket socket, SelectorEvents events, object? data)
    {
        SelectorKey key = Modify(socket, events);
        key.Data = data;
        return key;
    }

    /// <summary>Changes the events a socket is registered for and keeps its data.</summary>
    /// <returns>The registration, updated in place.</returns>
    /// <exception cref="ArgumentException"><paramref name="events"/> is not valid.</exception>
    /// <exception cref="KeyNotFoundException">The socket is not registered.</exception>
    /// <exception cref="ObjectDisposedException">The selector is disposed.</exception>
    /// <exception cref="Win32Exception">The kernel refused the change.</exception>
    public SelectorKey Modify(Socket socket, SelectorEvents events) => Change(GetKey(socket), events);

    /// <summary>Changes the events a descriptor registered without a socket is registered for.</summary>
    internal SelectorKey Modify(nint handle, SelectorEvents events) => Change(GetKey(handle), events);

    /// <summary>Ends a socket's registration. A socket disposed since it was registered can still be unregistered.</summary>
    /// <returns>The registration that ended.</returns>
    /// <exception cref="KeyNotFoundException">The socket is not registered.</exception>
    /// <exception cref="ObjectDisposedException">The selector is disposed.</exception>
    /// <exception cref="Win32Exception">The kernel refused to remove the registration.</exception>
    public SelectorKey Unregister(Socket socket) => Remove(GetKey(socket));

    /// <summary>Ends the registration of a descriptor registered without a socket.</summary>
    internal SelectorKey Unregister(nint handle) => Remove(GetKey(handle));

    /// <summary>Waits until at least one registration is ready, or the timeout passes.</summary>
    /// <param name="timeout">
    /// Null waits as long as it takes; zero or less only polls, so a deadline already past never blocks (note that
    /// <see cref="Timeout.InfiniteTimeSpan"/> is negative). Timeouts are rounded up to whole milliseconds, so a short
    /// one still waits rather than spins.
    /// </param>
    /// <returns>
    /// The ready registrations, each once, empty on timeout. The span is backed by the selector's buffer and is valid
    /// until the next call.
    /// </returns>
    /// <exception cref="ObjectDisposedException">The selector is disposed.</exception>
    /// <exception cref="Win32Exception">The wait failed.</exception>
    public ReadOnlySpan<SelectorEvent> Select(TimeSpan? timeout = null)
    {
        ThrowIfDisposed();
        return SelectCore(ToMilliseconds(timeout));
    }

    /// <summary>Returns a socket's registration.</summary>
    /// <exception cref="KeyNotFoundException">The socket is not registered.</exception>
    /// <exception cref="ObjectDisposedException">The selector is disposed.</exception>
    public SelectorKey GetKey(Socket socket)
    {
        if (!TryGetKey(socket, out SelectorKey? key))
        {
            ThrowNotRegistered();
        }

        return key;
    }

    /// <summary>Looks up a socket's registration.</summary>
    /// <returns>True when the socket is registered.</returns>
    /// <exception cref="ObjectDisposedException">The selector is disposed.</exception>
    public bool TryGetKey(Socket socket, [MaybeNullWhen(false)] out SelectorKey key)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ThrowIfDisposed();
        return _sockets.TryGetValue(socket, out key);
    }

    /// <summary>Returns a live, read-only view of the registrations by socket.</summary>
    /// <exception cref="ObjectDisposedException">The selector is disposed.</exception>
    public IReadOnlyDictionary<Socket, SelectorKey> GetMap()
    {
        ThrowIfDisposed();
        return _map;
    }

    /// <summary>Ends every registration and releases the kernel's resources; the sockets stay open.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _handles.Clear();
            _sockets.Clear();
            DisposeCore();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Converts a timeout to the milliseconds that poll(2) and epoll_wait(2) take: -1 for none, 0 to poll, otherwise
    /// rounded up as Python does, so that a 0.1 ms timeout waits 1 ms instead of becoming a busy 0.
    /// </summary>
    internal static int ToMilliseconds(TimeSpan? timeout)
    {
        if (timeout is not TimeSpan t)
        {
            return -1;
        }

        if (t <= TimeSpan.Zero)
        {
            return 0;
        }

        long ms = ((t.Ticks - 1) / TimeSpan.TicksPerMillisecond) + 1;
        return (int)Math.Min(ms, int.MaxValue);
    }

    /// <summary>
    /// What is left of a wait of <paramref name="timeoutMs"/> that began at <paramref name="startTimestamp"/>, for a
    /// wait that a signal interrupted; a wait without a deadline keeps none.
    /// </summary>
    private protected static int Remaining(int timeoutMs, long startTimestamp) =>
        timeoutMs <= 0 ? timeoutMs : ToMilliseconds(TimeSpan.FromMilliseconds(timeoutMs) - Stopwatch.GetElapsedTime(startTimestamp));

    /// <summary>Adds the registration to the kernel's interest set and the implementation's table, or throws and changes nothing.</summary>
    private protected abstract void AddCore(SelectorKey key);

    /// <summary>Changes the kernel's interest in a registration to <paramref name="events"/>, or throws and changes nothing.</summary>
    private protected abstract void ModifyCore(SelectorKey key, SelectorEvents events);

    /// <summary>Removes the registration from the kernel's interest set and the implementation's table.</summary>
    private protected abstract void RemoveCore(SelectorKey key);

    /// <summary>Waits as <see cref="Select"/> does; <paramref name="timeoutMs"/> is -1 for no timeout.</summary>
    private protected abstract ReadOnlySpan<SelectorEvent> SelectCore(int timeoutMs);

    /// <summary>Releases what the implementation holds.</summary>
    private protected abstract void DisposeCore();

    private static void ValidateEvents(SelectorEvents events)
    {
        if (events == SelectorEvents.None || (events & ~(SelectorEvents.Read | SelectorEvents.Write)) != 0)
        {
            ThrowInvalidEvents(events);
        }
    }

    private SelectorKey Add(Socket? socket, nint handle, SelectorEvents events, object? data)
    {
        ValidateEvents(events);
        if (_handles.ContainsKey(handle))
        {
            ThrowAlreadyRegistered(socket, handle);
        }

        var key = new SelectorKey(socket, handle, events, data);
        AddCore(key);
        _handles.Add(handle, key);
        if (socket is not null)
        {
            _sockets.Add(socket, key);
        }

        return key;
    }

    private SelectorKey Change(SelectorKey key, SelectorEvents events)
    {
        ValidateEvents(events);
        if (events != key.Events)
        {
            ModifyCore(key, events);
            key.Events = events;
        }

        return key;
    }

    private SelectorKey Remove(SelectorKey key)
    {
        RemoveCore(key);
        _handles.Remove(key.Handle);
        if (key.Socket is not null)
        {
            _sockets.Remove(key.Socket);
        }

        return key;
    }

    private SelectorKey GetKey(nint handle)
    {
        ThrowIfDisposed();
        if (!_handles.TryGetValue(handle, out SelectorKey? key))
        {
            ThrowNotRegistered(handle);
        }

        return key;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalidEvents(SelectorEvents events) =>
        throw new ArgumentException($"Invalid events: {events}; expected Read, Write or both.", nameof(events));

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowAlreadyRegistered(Socket? socket, nint handle) =>
        throw new ArgumentException($"Descriptor {handle} is already registered.", socket is null ? nameof(handle) : nameof(socket));

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotRegistered() =>
        throw new KeyNotFoundException("The socket is not registered.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotRegistered(nint handle) =>
        throw new KeyNotFoundException($"Descriptor {handle} is not registered.");
}
