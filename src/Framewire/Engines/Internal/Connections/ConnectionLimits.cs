using System.Runtime.InteropServices;

namespace Framewire.Engines.Internal.Connections;

/// <summary>
/// The engines' limits as they apply, from options <see cref="MessageServerOptions.Validate"/> has checked:
/// <see cref="MessageServerOptions.MaxConnections"/> within the descriptors the process may open, and the timeouts in
/// <see cref="Environment.TickCount64"/> milliseconds (0: disabled).
/// </summary>
internal sealed partial class ConnectionLimits
{
    // Descriptors kept for listeners, the selectors' epoll and eventfds, log files and the runtime itself.
    private const int DescriptorReserve = 64;

    public ConnectionLimits(MessageServerOptions options)
    {
        // The open-files limit is the machine's, not the user's setting: a server under a low one still takes one.
        MaxConnections = Math.Max(1, Math.Min(options.MaxConnections, OpenFilesLimit() - DescriptorReserve));
        IdleTimeoutMs = ToMilliseconds(options.IdleTimeout);
        FrameTimeoutMs = ToMilliseconds(options.FrameTimeout);
        MaxInFlight = options.MaxInFlight;
        SendHighWater = options.SendHighWater;
        SendLimit = options.SendLimit;
        MinDataRate = options.MinDataRate;

        // A grace period of zero applies the rate from the first millisecond.
        GracePeriodMs = MinDataRate > 0 ? Math.Max(1, ToMilliseconds(options.MinDataRateGracePeriod)) : 0;

        // Timeouts are checked by a periodic sweep: a quarter of the shortest one keeps the overshoot small, at most
        // once a second keeps the sweep cheap, and never more often than every 10 ms. The async engine learns that a
        // client stopped reading only from the sweep, so it always runs.
        long shortest = Math.Min(
            Math.Min(IdleTimeoutMs == 0 ? long.MaxValue : IdleTimeoutMs, FrameTimeoutMs == 0 ? long.MaxValue : FrameTimeoutMs),
            GracePeriodMs == 0 ? long.MaxValue : GracePeriodMs);
        SweepInterval = TimeSpan.FromMilliseconds(Math.Clamp(shortest / 4, 10, 1000));
    }

    public int MaxConnections { get; }

    public long IdleTimeoutMs { get; }

    public long FrameTimeoutMs { get; }

    /// <summary>Requests read ahead before a connection stops decoding until its output has drained.</summary>
    public int MaxInFlight { get; }

    /// <summary>Response bytes produced ahead of the client before a connection stops reading.</summary>
    public long SendHighWater { get; }

    /// <summary>Unsent output, with the socket full, that makes a client a slow consumer.</summary>
    public long SendLimit { get; }

    /// <summary>Bytes per second a transfer must average after the grace period; 0: no minimum.</summary>
    public double MinDataRate { get; }

    public long GracePeriodMs { get; }

    /// <summary>How often connections are checked against the timeouts and rates.</summary>
    public TimeSpan SweepInterval { get; }

    public bool IsIdleExpired(long lastActivity, long now) => IdleTimeoutMs > 0 && now - lastActivity >= IdleTimeoutMs;

    /// <summary>True when a frame header begun at <paramref name="headerSince"/> (0: none begun) is overdue.</summary>
    public bool IsFrameExpired(long headerSince, long now) => FrameTimeoutMs > 0 && headerSince != 0 && now - headerSince >= FrameTimeoutMs;

    /// <summary>
    /// True when a transfer under way since <paramref name="since"/> (0: none) has moved <paramref name="bytes"/>
    /// bytes, fewer than the minimum data rate asks for, once its grace period is over.
    /// </summary>
    public bool IsTooSlow(long since, long bytes, long now)
    {
        long elapsed = now - since;
        return GracePeriodMs > 0 && since != 0 && elapsed >= GracePeriodMs && bytes * 1000.0 < MinDataRate * elapsed;
    }

    private static long ToMilliseconds(TimeSpan timeout) =>
        timeout <= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan ? 0 : Math.Max(1, (long)Math.Ceiling(timeout.TotalMilliseconds));

    private static int OpenFilesLimit()
    {
        int resource = OperatingSystem.IsLinux() ? 7 : OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? 8 : -1;
        if (resource < 0)
        {
            return int.MaxValue;
        }

        try
        {
            if (GetRLimit(resource, out RLimit limit) != 0)
            {
                return int.MaxValue;
            }

            return limit.Current >= int.MaxValue ? int.MaxValue : (int)limit.Current;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return int.MaxValue;
        }
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
