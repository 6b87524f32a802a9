using Framewire.Engines.Internal;
using Framewire.Engines.Internal.Selector;
using Framewire.Engines.Internal.Uring;
using Framewire.Tests.Selectors;
using Framewire.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Framewire.Tests.Engines;

/// <summary>
/// The event loops' doorbell: work posted from other threads while the loop is busy running earlier posts must all
/// run. A ring read away between the loop's clearing of its flag and its drain of the eventfd once left the flag set
/// with nothing to ring, and every later post waited for ever (the ingress tests' stall on the selector engine).
/// </summary>
public sealed class LoopPostTests
{
    private const int Threads = 4;
    private const int PostsPerThread = 50_000;

    [LinuxFact]
    public Task Post_FromManyThreadsWhileTheLoopRunsPosts_EveryPostRuns() =>
        AssertEveryPostRunsAsync(new EventLoop(1, NullLogger.Instance));

    [LinuxFact]
    public async Task UringPost_FromManyThreadsWhileTheLoopRunsPosts_EveryPostRuns()
    {
        if (UringSupport.Unavailable is not null)
        {
            // The loop cannot be made here; the uring engine's fallback is UringEngineTests'.
            return;
        }

        await AssertEveryPostRunsAsync(new UringLoop(1, NullLogger.Instance));
    }

    private static async Task AssertEveryPostRunsAsync(IServerLoop loop)
    {
        try
        {
            loop.Start();
            await AssertEveryPostRunsAsync(loop.Post);
        }
        finally
        {
            // A loop that lost its doorbell does not stop either: it is left to the process, so the failure shown is the test's.
            loop.Post(loop.Abort);
            if (await Task.WhenAny(loop.Stopped, Task.Delay(TimeSpan.FromSeconds(10))) == loop.Stopped)
            {
                loop.Dispose();
            }
        }
    }

    private static async Task AssertEveryPostRunsAsync(Action<Action> post)
    {
        int ran = 0;
        Action count = () => Interlocked.Increment(ref ran);
        using var start = new Barrier(Threads);
        Task[] posters = Enumerable.Range(0, Threads).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (int i = 0; i < PostsPerThread; i++)
                {
                    post(count);
                    if (i % 64 == 0)
                    {
                        // Gives the loop a moment to drain and sleep, so that rings come both while it runs and while it waits.
                        Thread.Yield();
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(posters).WaitAsync(TimeSpan.FromSeconds(60));

        // A lost ring shows as posts that never run, not as slow ones: give them ample time.
        await Eventually.TrueAsync(() => Volatile.Read(ref ran) == Threads * PostsPerThread, TimeSpan.FromSeconds(20));
        Assert.Equal(Threads * PostsPerThread, Volatile.Read(ref ran));
    }
}
