using System.Globalization;
using Framewire.Protocol;

namespace Framewire.Engines;

/// <summary>The one check of every setting: <see cref="MessageServer"/> runs it, configuration layers only map and report.</summary>
public sealed partial class MessageServerOptions
{
    // CancellationTokenSource and Task.Delay take at most int.MaxValue milliseconds (24.8 days).
    // The kernel's backlog counters were 16-bit before Linux 4.1; a larger value means nothing anywhere.
    private const int MaxBacklog = 65535;

    private static readonly TimeSpan s_longestWait = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>
    /// Checks every setting against what it allows. <see cref="MessageServer"/>'s constructors call it; call it
    /// yourself to fail at configuration time instead.
    /// </summary>
    /// <exception cref="OptionOutOfRangeException">A setting is out of its range, or out of step with another.</exception>
    public void Validate()
    {
        Require(EndPoint is not null, nameof(EndPoint), EndPoint, "an address to listen on");
        Require(Limits is not null, nameof(Limits), Limits, "a set of frame limits");
        Require(Enum.IsDefined(Engine), nameof(Engine), Engine, $"{ServerEngine.Async}, {ServerEngine.Selector} or {ServerEngine.Uring}");
        Require(Enum.IsDefined(Checksum), nameof(Checksum), Checksum, $"{ChecksumAlgorithm.None}, {ChecksumAlgorithm.Crc32C} or {ChecksumAlgorithm.Sha256}");
        Require(Loops >= 0, nameof(Loops), Loops, "0 (one per processor) or more");
        Require(Backlog is >= 1 and <= MaxBacklog, nameof(Backlog), Backlog, "1 to 65535");
        Require(MaxConnections >= 1, nameof(MaxConnections), MaxConnections, "at least 1");
        RequireWait(ShutdownTimeout, nameof(ShutdownTimeout), allowZero: true);
        RequireWait(LingerTimeout, nameof(LingerTimeout), allowZero: true);
        RequireWait(HandshakeTimeout, nameof(HandshakeTimeout), allowZero: false);
        RequireTimeout(IdleTimeout, nameof(IdleTimeout));
        RequireTimeout(FrameTimeout, nameof(FrameTimeout));
        Require(MaxInFlight >= 1, nameof(MaxInFlight), MaxInFlight, "at least 1");
        Require(SendHighWater >= 1, nameof(SendHighWater), SendHighWater, "at least 1");
        if (SendLimit < SendHighWater)
        {
            throw new OptionOutOfRangeException(
                nameof(SendLimit), SendLimit, "at least {0} (" + SendHighWater.ToString(CultureInfo.InvariantCulture) + ")", nameof(SendHighWater));
        }

        Require(double.IsFinite(MinDataRate) && MinDataRate >= 0, nameof(MinDataRate), MinDataRate, "0 (no minimum) or more bytes per second");
        Require(MinDataRateGracePeriod >= TimeSpan.Zero, nameof(MinDataRateGracePeriod), MinDataRateGracePeriod, "0 s or more");
        Require(WorkerThreads >= 1, nameof(WorkerThreads), WorkerThreads, "at least 1");
        Require(WorkerQueueLength >= 1, nameof(WorkerQueueLength), WorkerQueueLength, "at least 1");
    }

    private static void Require(bool holds, string option, object? value, string requirement)
    {
        if (!holds)
        {
            throw new OptionOutOfRangeException(option, value, requirement);
        }
    }

    /// <summary>A timeout the sweep checks: zero (or infinite) disables it.</summary>
    private static void RequireTimeout(TimeSpan timeout, string option) =>
        Require(timeout >= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan, option, timeout, "0 s (never) or more");

    /// <summary>A wait a timer or cancellation source runs: bounded by what those take.</summary>
    private static void RequireWait(TimeSpan wait, string option, bool allowZero)
    {
        bool holds = wait == Timeout.InfiniteTimeSpan || ((allowZero ? wait >= TimeSpan.Zero : wait > TimeSpan.Zero) && wait <= s_longestWait);
        Require(holds, option, wait, (allowZero ? "0 s" : "more than 0 s") + " and at most 24.8 days, or infinite");
    }
}
