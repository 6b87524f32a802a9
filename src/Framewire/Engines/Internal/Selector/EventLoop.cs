using Framewire.Engines.Internal.Connections;
using Framewire.Selectors;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// One thread, one epoll set: waits for readiness, then services every ready socket in turn, like the tutorial's
/// <c>while True: events = sel.select()</c> loop. Other threads hand work to the loop with <see cref="Post"/>,
/// which rings an eventfd the loop also watches; timers run between waits. What it serves is in its
/// <see cref="LoopPoller"/>'s table by descriptor, which is also its list of connections.
/// </summary>
internal sealed class EventLoop : IServerLoop
{
    // How often the loop frees the record buffers (about 34 KB) of TLS connections that have had nothing in flight
    // since its last turn: a connection keeps them from 50 to 100 ms after its last message. A busy connection reuses
    // them from one message to the next; an idle one holds none.
    private static readonly TimeSpan TlsBufferHold = TimeSpan.FromMilliseconds(50);

    private readonly LoopPoller _poller;
    private readonly LoopWork _work;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private readonly List<(SelectorConnection Connection, ConnectionClose Due)> _expired = [];

    // TLS connections that keep OpenSSL's record buffers between messages, until a release turn finds them quiet.
    private readonly List<SelectorConnection> _heldTlsBuffers = [];
    private Action? _releaseTlsBuffers;
    private bool _exitWhenIdle;
    private bool _exit;

    public EventLoop(int index, ILogger logger)
    {
        _logger = logger;
        _poller = new LoopPoller();
        try
        {
            _work = new LoopWork();
        }
        catch
        {
            _poller.Dispose();
            throw;
        }

        _poller.Own(_work.DoorbellFd, new Doorbell(_work));
        _poller.Watch(_work.DoorbellFd, SelectorEvents.None, SelectorEvents.Read);
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

    /// <inheritdoc cref="LoopWork.Post"/>
    public void Post(Action action) => _work.Post(action);

    /// <inheritdoc cref="LoopWork.Schedule"/>
    public void Schedule(TimeSpan delay, Action action) => _work.Schedule(delay, action);

    /// <inheritdoc cref="LoopWork.StartSweeping"/>
    public void StartSweeping(TimeSpan interval) => _work.StartSweeping(interval, Sweep);

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
        _work.Dispose();
    }

    private void Run()
    {
        try
        {
            while (!_exit && !(_exitWhenIdle && ConnectionCount == 0))
            {
                _poller.WaitAndDispatch((int)Math.Min(_work.NextTimeoutMs(), int.MaxValue));
                _work.RunDueTimers();
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

    private sealed class Doorbell(LoopWork work) : ILoopItem
    {
        public void OnReady(SelectorEvents events) => work.RunPosted();
    }
}
