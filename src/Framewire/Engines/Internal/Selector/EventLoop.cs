using System.Collections.Concurrent;
using Framewire.Engines.Internal.Connections;
using Framewire.Selectors;
using Framewire.Selectors.Internal;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// One thread, one selector: waits for readiness, then services every ready socket in turn, like the tutorial's
/// <c>while True: events = sel.select()</c> loop. Other threads hand work to the loop with <see cref="Post"/>,
/// which rings an eventfd the selector also watches; timers run between selects.
/// </summary>
internal sealed class EventLoop : IDisposable
{
    private readonly Selectors.Selector _selector;
    private readonly SafeFdHandle _wakeFd;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly PriorityQueue<Action, long> _timers = new();
    private readonly HashSet<SelectorConnection> _connections = [];
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private readonly List<(SelectorConnection Connection, ConnectionClose Due)> _expired = [];
    private Action? _sweep;
    private TimeSpan _sweepInterval;
    private int _wakeRequested;
    private bool _exitWhenIdle;
    private bool _exit;

    public EventLoop(int index, ILogger logger)
    {
        _logger = logger;
        _selector = DefaultSelector.Create();
        _wakeFd = SocketCalls.CreateEventFd();
        if (_wakeFd.IsInvalid)
        {
            int errno = SocketCalls.LastError;
            _selector.Dispose();
            throw new InvalidOperationException($"eventfd failed with errno {errno}.");
        }

        _selector.Register(_wakeFd.Fd, SelectorEvents.Read, new Doorbell(this));
        _thread = new Thread(Run) { IsBackground = true, Name = $"Framewire loop {index}" };
    }

    /// <summary>Completes when the loop thread has ended.</summary>
    public Task Stopped => _stopped.Task;

    public Selectors.Selector Selector => _selector;

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

    public void Add(SelectorConnection connection)
    {
        _connections.Add(connection);
        ConnectionCount = _connections.Count;
    }

    public void Remove(SelectorConnection connection)
    {
        _connections.Remove(connection);
        ConnectionCount = _connections.Count;
    }

    /// <summary>Asks every connection to finish what it has and close; the loop ends when none is left. Loop thread only.</summary>
    public void BeginShutdown()
    {
        _exitWhenIdle = true;
        foreach (SelectorConnection connection in _connections.ToArray())
        {
            connection.BeginShutdown();
        }
    }

    /// <summary>Closes every connection at once and ends the loop. Loop thread only.</summary>
    public void Abort()
    {
        foreach (SelectorConnection connection in _connections.ToArray())
        {
            connection.Abort();
        }

        _exit = true;
    }

    public void Dispose()
    {
        _selector.Dispose();
        _wakeFd.Dispose();
    }

    private void Run()
    {
        try
        {
            while (!_exit && !(_exitWhenIdle && _connections.Count == 0))
            {
                ReadOnlySpan<SelectorEvent> ready = _selector.Select(NextTimeout());
                foreach (SelectorEvent selected in ready)
                {
                    ((ILoopItem)selected.Key.Data!).OnReady(selected.Events);
                }

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

    private TimeSpan? NextTimeout()
    {
        if (!_posted.IsEmpty)
        {
            return TimeSpan.Zero;
        }

        if (!_timers.TryPeek(out _, out long due))
        {
            return null;
        }

        long wait = due - Environment.TickCount64;
        return TimeSpan.FromMilliseconds(Math.Max(0, wait));
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
        foreach (SelectorConnection connection in _connections)
        {
            if (connection.Due(now) is ConnectionClose due)
            {
                _expired.Add((connection, due));
            }
        }

        // Closing removes from the set, so not while walking it.
        foreach ((SelectorConnection connection, ConnectionClose due) in _expired)
        {
            connection.Expire(due);
        }

        _expired.Clear();
        Schedule(_sweepInterval, _sweep!);
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
