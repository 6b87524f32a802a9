using System.Collections.Concurrent;
using Framewire.Engines.Internal.Connections;
using Framewire.Selectors;
using Framewire.Selectors.Internal;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// One thread, one epoll set: waits for readiness, then services every ready socket in turn, like the tutorial's
/// <c>while True: events = sel.select()</c> loop. Other threads hand work to the loop with <see cref="Post"/>,
/// which rings an eventfd the loop also watches; timers run between waits. What it serves is in its
/// <see cref="LoopPoller"/>'s table by descriptor, which is also its list of connections.
/// </summary>
internal sealed class EventLoop : IDisposable
{
    // How often the loop frees the record buffers (about 34 KB) of TLS connections that have had nothing in flight
    // since its last turn: a connection keeps them from 50 to 100 ms after its last message. A busy connection reuses
    // them from one message to the next; an idle one holds none.
    private static readonly TimeSpan TlsBufferHold = TimeSpan.FromMilliseconds(50);

    private readonly LoopPoller _poller;
    private readonly SafeFdHandle _wakeFd;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly PriorityQueue<Action, long> _timers = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private readonly List<(SelectorConnection Connection, ConnectionClose Due)> _expired = [];

    // TLS connections that keep OpenSSL's record buffers between messages, until a release turn finds them quiet.
    private readonly List<SelectorConnection> _heldTlsBuffers = [];
    private Action? _releaseTlsBuffers;
    private Action? _sweep;
    private TimeSpan _sweepInterval;
    private int _wakeRequested;
    private bool _exitWhenIdle;
    private bool _exit;

    public EventLoop(int index, ILogger logger)
    {
        _logger = logger;
        _poller = new LoopPoller();
        _wakeFd = SocketCalls.CreateEventFd();
        if (_wakeFd.IsInvalid)
        {
            int errno = SocketCalls.LastError;
            _poller.Dispose();
            throw new InvalidOperationException($"eventfd failed with errno {errno}.");
        }

        _poller.Own(_wakeFd.Fd, new Doorbell(this));
        _poller.Watch(_wakeFd.Fd, SelectorEvents.None, SelectorEvents.Read);
        _thread = new Thread(Run) { IsBackground = true, Name = $"Framewire loop {index}" };
    }

    /// <summary>Completes when the loop thread has ended.</summary>
    public Task Stopped => _stopped.Task;

    public LoopPoller Poller => _poller;

    /// <summary>The server's OpenSSL context when its TLS runs on OpenSSL directly; null for plain TCP and for SslStream.</summary>
    public OpenSslContext? Tls { get; init; }

    /// <summary>Connections on this loop; touched only on the loop thread.</summary>
    public int ConnectionCount { get; private set; }

    public void Start() => _thread.Start();

    /// <summary>
    /// Runs <paramref name="action"/> on the loop thread, soon. Safe from any thread; work posted to a loop that has
    /// been disposed is dropped, as its connections are closed (a handler may finish after an aborted shutdown).
    /// </summary>
    public void Post(Action action)
    {
        _posted.Enqueue(action);

        // One doorbell ring per sleep is enough; the loop resets the flag before it drains the queue.
        if (Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            try
            {
                SocketCalls.Signal(_wakeFd);
            }
            catch (ObjectDisposedException)
            {
                _posted.Clear();
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> on the loop thread after <paramref name="delay"/>. Loop thread only.</summary>
    public void Schedule(TimeSpan delay, Action action) =>
        _timers.Enqueue(action, Environment.TickCount64 + (long)Math.Ceiling(delay.TotalMilliseconds));

    /// <summary>
    /// Checks this loop's connections against the idle and frame timeouts every <paramref name="interval"/>: one
    /// timer per loop, none per connection or message. Before <see cref="Start"/>, or on the loop thread.
    /// </summary>
    public void StartSweeping(TimeSpan interval)
    {
        _sweepInterval = interval;
        _sweep ??= Sweep;
        Schedule(interval, _sweep);
    }

    /// <summary>Adds a TLS connection to those whose record buffers the release turns look at. Loop thread only.</summary>
    public void HoldTlsBuffers(SelectorConnection connection)
    {
        _heldTlsBuffers.Add(connection);
        if (_heldTlsBuffers.Count == 1)
        {
            Schedule(TlsBufferHold, _releaseTlsBuffers ??= ReleaseTlsBuffers);
        }
    }

    public void Add(SelectorConnection connection)
    {
        _poller.Own(connection.Fd, connection);
        ConnectionCount++;
    }

    /// <summary>Forgets a connection, before its descriptor is closed.</summary>
    public void Remove(SelectorConnection connection)
    {
        _poller.Release(connection.Fd);
        ConnectionCount--;
    }

    /// <summary>Asks every connection to finish what it has and close; the loop ends when none is left. Loop thread only.</summary>
    public void BeginShutdown()
    {
        _exitWhenIdle = true;
        foreach (SelectorConnection connection in Connections())
        {
            connection.BeginShutdown();
        }
    }

    /// <summary>Closes every connection at once and ends the loop. Loop thread only.</summary>
    public void Abort()
    {
        foreach (SelectorConnection connection in Connections())
        {
            connection.Abort();
        }

        _exit = true;
    }

    public void Dispose()
    {
        _poller.Dispose();
        _wakeFd.Dispose();
    }

    private void Run()
    {
        try
        {
            while (!_exit && !(_exitWhenIdle && ConnectionCount == 0))
            {
                _poller.WaitAndDispatch(NextTimeoutMs());
                RunDueTimers();
            }
        }
        catch (Exception e)
        {
            // A fault in the loop itself (not in a handler) leaves its connections unserved: say so loudly.
            ServerLog.LoopFailed(_logger, _thread.Name ?? "loop", e);
            _stopped.TrySetException(e);
            return;
        }

        _stopped.TrySetResult();
    }

    /// <summary>How long the next wait may last, in milliseconds: -1 with nothing to do but wait.</summary>
    private int NextTimeoutMs()
    {
        if (!_posted.IsEmpty)
        {
            return 0;
        }

        if (!_timers.TryPeek(out _, out long due))
        {
            return -1;
        }

        return (int)Math.Clamp(due - Environment.TickCount64, 0, int.MaxValue);
    }

    /// <summary>The connections now, taken out of the table first: closing one lets its slot go.</summary>
    private List<SelectorConnection> Connections()
    {
        var connections = new List<SelectorConnection>(ConnectionCount);
        foreach (ILoopItem? item in _poller.Items)
        {
            if (item is SelectorConnection connection)
            {
                connections.Add(connection);
            }
        }

        return connections;
    }

    private void RunDueTimers()
    {
        long now = Environment.TickCount64;
        while (_timers.TryPeek(out Action? action, out long due) && due <= now)
        {
            _timers.Dequeue();
            action();
        }
    }

    private void Sweep()
    {
        long now = Environment.TickCount64;
        foreach (ILoopItem? item in _poller.Items)
        {
            if (item is SelectorConnection connection && connection.Due(now) is ConnectionClose due)
            {
                _expired.Add((connection, due));
            }
        }

        // Closing lets a slot go, so not while walking the table.
        foreach ((SelectorConnection connection, ConnectionClose due) in _expired)
        {
            connection.Expire(due);
        }

        _expired.Clear();
        Schedule(_sweepInterval, _sweep!);
    }

    private void ReleaseTlsBuffers()
    {
        int kept = 0;
        for (int i = 0; i < _heldTlsBuffers.Count; i++)
        {
            SelectorConnection connection = _heldTlsBuffers[i];
            if (connection.KeepsTlsBuffers())
            {
                _heldTlsBuffers[kept++] = connection;
            }
        }

        _heldTlsBuffers.RemoveRange(kept, _heldTlsBuffers.Count - kept);
        if (kept > 0)
        {
            Schedule(TlsBufferHold, _releaseTlsBuffers!);
        }
    }

    private void RunPosted()
    {
        Volatile.Write(ref _wakeRequested, 0);
        SocketCalls.Drain(_wakeFd);
        while (_posted.TryDequeue(out Action? action))
        {
            action();
        }
    }

    private sealed class Doorbell(EventLoop loop) : ILoopItem
    {
        public void OnReady(SelectorEvents events) => loop.RunPosted();
    }
}
