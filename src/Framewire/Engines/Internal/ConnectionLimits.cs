using System.Runtime.InteropServices;

namespace Framewire.Engines.Internal;

/// <summary>
/// The engines' limits as they apply: <see cref="MessageServerOptions.MaxConnections"/> clamped to the descriptors
/// the process may open, and the timeouts in <see cref="Environment.TickCount64"/> milliseconds (0: disabled).
/// </summary>
internal sealed partial class ConnectionLimits
{
    // Descriptors kept for listeners, the selectors' epoll and eventfds, log files and the runtime itself.
    private const int DescriptorReserve = 64;

    public ConnectionLimits(MessageServerOptions options)
    {
        MaxConnections = Math.Max(1, Math.Min(options.MaxConnections, OpenFilesLimit() - DescriptorReserve));
        IdleTimeoutMs = ToMilliseconds(options.IdleTimeout);
        FrameTimeoutMs = ToMilliseconds(options.FrameTimeout);

        // Timeouts are checked by a periodic sweep: a quarter of the shortest one keeps the overshoot small, at most
        // once a second keeps the sweep cheap, and never more often than every 10 ms.
        long shortest = Math.Min(IdleTimeoutMs == 0 ? long.MaxValue : IdleTimeoutMs, FrameTimeoutMs == 0 ? long.MaxValue : FrameTimeoutMs);
        SweepInterval = shortest == long.MaxValue ? null : TimeSpan.FromMilliseconds(Math.Clamp(shortest / 4, 10, 1000));
    }

    public int MaxConnections { get; }

    public long IdleTimeoutMs { get; }

    public long FrameTimeoutMs { get; }

    /// <summary>How often connections are checked against the timeouts; null when both are disabled.</summary>
    public TimeSpan? SweepInterval { get; }

    public bool IsIdleExpired(long lastActivity, long now) => IdleTimeoutMs > 0 && now - lastActivity >= IdleTimeoutMs;

    /// <summary>True when a frame header begun at <paramref name="headerSince"/> (0: none begun) is overdue.</summary>
    public bool IsFrameExpired(long headerSince, long now) => FrameTimeoutMs > 0 && headerSince != 0 && now - headerSince >= FrameTimeoutMs;

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
