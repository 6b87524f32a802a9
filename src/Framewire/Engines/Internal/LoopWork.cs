using System.Collections.Concurrent;
using Framewire.Engines.Internal.Selector;
using Framewire.Selectors.Internal;

namespace Framewire.Engines.Internal;

/// <summary>
/// A loop thread's own work besides I/O, the same for every loop engine: actions posted from other threads, behind
/// one eventfd doorbell the loop waits on with its sockets; timers; and the periodic sweep of its connections.
/// </summary>
internal sealed class LoopWork : IDisposable
{
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly PriorityQueue<Action, long> _timers = new();
    private readonly SafeFdHandle _doorbell;
    private Action? _sweep;
    private int _wakeRequested;

    public LoopWork()
    {
        _doorbell = SocketCalls.CreateEventFd();
        if (_doorbell.IsInvalid)
        {
            int errno = SocketCalls.LastError;
            throw new InvalidOperationException($"eventfd failed with errno {errno}.");
        }
    }

    /// <summary>The eventfd <see cref="Post"/> rings: the loop waits for it to be readable, then calls <see cref="RunPosted"/>.</summary>
    public int DoorbellFd => _doorbell.Fd;

    /// <summary>True when posted work waits, so the loop must not sleep.</summary>
    public bool HasPosted => !_posted.IsEmpty;

    /// <summary>
    /// Runs <paramref name="action"/> on the loop thread, soon. Safe from any thread; work posted to a loop that has
    /// been disposed is dropped, as its connections are closed (a handler may finish after an aborted shutdown).
    /// </summary>
    public void Post(Action action)
    {
        _posted.Enqueue(action);

        // One doorbell ring per sleep is enough; the loop clears the flag (after emptying the doorbell) before it drains the queue.
        if (Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            try
            {
                SocketCalls.Signal(_doorbell);
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
    /// Calls <paramref name="sweep"/> every <paramref name="interval"/> to check the loop's connections against their
    /// timeouts: one timer per loop, none per connection or message. Before the loop starts, or on its thread.
    /// </summary>
    public void StartSweeping(TimeSpan interval, Action sweep)
    {
        _sweep = () =>
        {
            sweep();
            Schedule(interval, _sweep!);
        };
        Schedule(interval, _sweep);
    }

    /// <summary>How long the loop's next wait may last, in milliseconds: 0 with posted work, -1 with nothing to do but wait.</summary>
    public long NextTimeoutMs()
    {
        if (!_posted.IsEmpty)
        {
            return 0;
        }

        if (!_timers.TryPeek(out _, out long due))
        {
            return -1;
        }

        return Math.Max(0, due - Environment.TickCount64);
    }

    public void RunDueTimers()
    {
        long now = Environment.TickCount64;
        while (_timers.TryPeek(out Action? action, out long due) && due <= now)
        {
            _timers.Dequeue();
            action();
        }
    }

    /// <summary>The doorbell rang: runs what was posted. Loop thread.</summary>
    public void RunPosted()
    {
        // The doorbell is emptied before the flag is cleared, never after: a ring read away after the clearing would
        // leave the flag set with nothing to ring, and every later post would wait for ever. A ring that lands after
        // the clearing stays for the next wait. Interlocked, so that the queue is read only after the clearing shows.
        SocketCalls.Drain(_doorbell);
        Interlocked.Exchange(ref _wakeRequested, 0);
        while (_posted.TryDequeue(out Action? action))
        {
            action();
        }
    }

    public void Dispose() => _doorbell.Dispose();
}
