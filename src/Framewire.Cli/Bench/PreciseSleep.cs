using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Framewire.Cli.Bench;

/// <summary>
/// Sleeps to the microsecond where the system allows. A <c>--rate</c> run's pacer sends each request at its intended
/// time and latency counts from that time, so a late wake-up is charged to the server; .NET's timers and
/// <see cref="Thread.Sleep(int)"/> resolve to a millisecond, which on loopback is tens of round trips.
/// </summary>
internal static partial class PreciseSleep
{
    private const int ClockMonotonic = 1;
    private const int PrSetTimerSlack = 29;
    private const long NanosecondsPerSecond = 1_000_000_000;

    /// <summary>
    /// Lets the calling thread's sleeps end on time: Linux lets a normal thread's wake-up run up to 50 µs late
    /// (its timer slack) to batch wake-ups; the pacer asks for 1 ns.
    /// </summary>
    public static void PrepareThread()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = Prctl(PrSetTimerSlack, 1, 0, 0, 0);
        }
    }

    public static void Sleep(long ticks)
    {
        if (ticks <= 0)
        {
            return;
        }

        if (!OperatingSystem.IsLinux())
        {
            Thread.Sleep(TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency));
            return;
        }

        long nanoseconds = (long)((double)ticks * NanosecondsPerSecond / Stopwatch.Frequency);
        var request = new Timespec(nanoseconds / NanosecondsPerSecond, nanoseconds % NanosecondsPerSecond);

        // An interrupted sleep (EINTR) just ends early; the pacer looks at the clock again either way.
        _ = ClockNanosleep(ClockMonotonic, 0, in request, IntPtr.Zero);
    }

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clock, int flags, in Timespec request, IntPtr remaining);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Timespec(long seconds, long nanoseconds)
    {
        public readonly long Seconds = seconds;
        public readonly long Nanoseconds = nanoseconds;
    }
}
