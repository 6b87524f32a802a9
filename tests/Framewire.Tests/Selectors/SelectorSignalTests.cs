using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Framewire.Selectors;

namespace Framewire.Tests.Selectors;

/// <summary>Waits interrupted by signal handlers (EINTR), which the selectors that call the kernel themselves retry.</summary>
[SupportedOSPlatform("linux")]
public class SelectorSignalTests
{
    private const int SigWinch = 28; // Linux's number; PosixSignal.SIGWINCH is the runtime's portable (negative) one.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Native => SelectorKinds.Native;

    [LinuxTheory]
    [MemberData(nameof(Native))]
    public void Select_InterruptedBySignals_WaitsForTheRestOfTheTimeout(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        selector.Register(loopback.Listener, SelectorEvents.Read);

        // SIGWINCH is harmless, and handling it makes the runtime install a handler: a handled signal interrupts
        // epoll_wait and poll with EINTR, whatever SA_RESTART says.
        using var handler = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => { });
        nuint selecting = 0;
        using var started = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var clock = new Stopwatch();
        int count = -1;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            selecting = pthread_self();
            started.Set();
            clock.Start();
            try
            {
                count = selector.Select(TimeSpan.FromMilliseconds(500)).Length;
            }
            catch (Exception e)
            {
                failure = e;
            }

            clock.Stop();
            done.Set();

            // The thread stays alive until the signals stop, so that pthread_kill never names a finished thread.
            release.Wait();
        });
        thread.Start();
        started.Wait();

        // Signals keep coming while the wait lasts: a selector that gave up on EINTR returns early or throws, and one
        // that restarted with the whole timeout would never return.
        var signalling = Stopwatch.StartNew();
        while (!done.Wait(20) && signalling.Elapsed < Patience)
        {
            Assert.Equal(0, pthread_kill(selecting, SigWinch));
        }

        release.Set();
        thread.Join();
        Assert.Null(failure);
        Assert.True(done.IsSet, "the wait never ended");
        Assert.Equal(0, count);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(450), $"returned after {clock.Elapsed}");
    }

    [DllImport("libc")]
    private static extern nuint pthread_self();

    [DllImport("libc")]
    private static extern int pthread_kill(nuint thread, int signal);
}
