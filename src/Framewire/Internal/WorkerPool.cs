using System.Collections.Concurrent;

namespace Framewire.Internal;

/// <summary>
/// A fixed set of threads for CPU-bound request work, fed by a bounded queue. The I/O side never waits on it:
/// work that does not fit in the queue is refused at once, and the caller answers <c>server_busy</c>.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly BlockingCollection<Action> _queue;
    private readonly int _threadCount;
    private readonly Lock _startLock = new();
    private Thread[]? _threads;

    public WorkerPool(int threadCount, int queueLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueLength, 1);
        _threadCount = threadCount;
        _queue = new BlockingCollection<Action>(new ConcurrentQueue<Action>(), queueLength);
    }

    /// <summary>Queues <paramref name="work"/>; false when the queue is full or the pool is stopping.</summary>
    public bool TrySchedule(Action work)
    {
        EnsureStarted();
        try
        {
            return _queue.TryAdd(work);
        }
        catch (InvalidOperationException)
        {
            // Adding was completed: the pool is stopping.
            return false;
        }
    }

    /// <summary>Lets queued work finish, then ends the threads.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        Thread[]? threads;
        lock (_startLock)
        {
            threads = _threads;
        }

        if (threads is not null)
        {
            foreach (Thread thread in threads)
            {
                thread.Join();
            }
        }

        _queue.Dispose();
    }

    // Threads start on first use, so a server whose handlers never offload work has none.
    private void EnsureStarted()
    {
        if (Volatile.Read(ref _threads) is not null)
        {
            return;
        }

        lock (_startLock)
        {
            if (_threads is not null)
            {
                return;
            }

            var threads = new Thread[_threadCount];
            for (int i = 0; i < threads.Length; i++)
            {
                threads[i] = new Thread(Run) { IsBackground = true, Name = $"Framewire worker {i + 1}" };
                threads[i].Start();
            }

            Volatile.Write(ref _threads, threads);
        }
    }

    private void Run()
    {
        foreach (Action work in _queue.GetConsumingEnumerable())
        {
            // Work items complete their own task and report their own failures; nothing escapes to here.
            work();
        }
    }
}
