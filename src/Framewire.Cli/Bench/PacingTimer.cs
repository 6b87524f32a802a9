using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Framewire.Selectors.Internal;

namespace Framewire.Cli.Bench;

/// <summary>
/// A timerfd(2) that a <see cref="SelectorLoop"/> registers with its selector to send <c>--rate</c> requests on
/// time. A selector's own timeout is whole milliseconds, tens of loopback round trips, and a request sent late is
/// charged to the server (its latency counts from its intended time); the timer fires to the microsecond, and
/// wakes the same wait that serves the sockets.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class PacingTimer : IDisposable
{
    private const long NanosecondsPerSecond = 1_000_000_000;

    private readonly SafeFdHandle _timer;

    public PacingTimer()
    {
        _timer = LibC.timerfd_create(LibC.CLOCK_MONOTONIC, LibC.TFD_NONBLOCK | LibC.TFD_CLOEXEC);
        if (_timer.IsInvalid)
        {
            NativeError.Throw("timerfd_create", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>The descriptor, readable once the timer has fired.</summary>
    public nint Handle => _timer.DangerousGetHandle();

    /// <summary>When the timer fires next (a <see cref="Stopwatch"/> timestamp); <see cref="long.MaxValue"/> when it is not armed.</summary>
    public long ArmedFor { get; private set; } = long.MaxValue;

    /// <summary>Makes the timer fire at <paramref name="timestamp"/> at the latest: a later time than the one set already changes nothing.</summary>
    public void ArmBy(long timestamp)
    {
        if (timestamp < ArmedFor)
        {
            Set(timestamp);
        }
    }

    /// <summary>
    /// Makes the timer fire at <paramref name="timestamp"/>, or never for <see cref="long.MaxValue"/>. Setting the timer
    /// also clears an expiry the selector has reported, so a fired timer is cleared by setting the next time, without
    /// the read(2) that would cost another system call.
    /// </summary>
    public unsafe void Set(long timestamp)
    {
        // On Linux a Stopwatch timestamp is CLOCK_MONOTONIC in nanoseconds; the conversion is for a runtime that
        // ever counts otherwise. An expiry of zero disarms the timer; the monotonic clock is far past it.
        long nanoseconds = timestamp == long.MaxValue ? 0
            : Stopwatch.Frequency == NanosecondsPerSecond ? timestamp
            : (long)((double)timestamp * NanosecondsPerSecond / Stopwatch.Frequency);
        nint* spec = stackalloc nint[4];
        spec[0] = 0;
        spec[1] = 0;
        spec[2] = (nint)(nanoseconds / NanosecondsPerSecond);
        spec[3] = (nint)(nanoseconds % NanosecondsPerSecond);
        if (LibC.timerfd_settime(_timer, LibC.TFD_TIMER_ABSTIME, spec, null) != 0)
        {
            NativeError.Throw("timerfd_settime", Marshal.GetLastPInvokeError());
        }

        ArmedFor = timestamp;
    }

    public void Dispose() => _timer.Dispose();
}
