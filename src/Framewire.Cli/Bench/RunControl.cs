using System.Diagnostics;

namespace Framewire.Cli.Bench;

/// <summary>
/// The clock and limits every connection of a run obeys: when sending stops (the deadline, the request budget, or
/// an interruption), which answers are measured (those that complete after the warm-up), and the rate schedule.
/// Times are <see cref="Stopwatch"/> timestamps.
/// </summary>
internal sealed class RunControl
{
    private readonly long _warmupTicks;
    private readonly long? _durationTicks;
    private volatile bool _stopped;

    public RunControl(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Budget = new RequestBudget(settings.Requests);
        TimeoutTicks = Ticks(settings.Timeout);
        Connections = settings.Connections;
        Depth = settings.Depth;
        if (settings.Rate is double rate)
        {
            RequestIntervalTicks = Stopwatch.Frequency / rate;
        }

        _warmupTicks = Ticks(settings.EffectiveWarmup);
        _durationTicks = settings.Requests is null ? Ticks(settings.Duration) : null;
    }

    public RequestBudget Budget { get; }

    public LatencyRecorder Latencies { get; } = new();

    public int Connections { get; }

    public int Depth { get; }

    public long TimeoutTicks { get; }

    /// <summary>Ticks between two requests of the whole run at <c>--rate</c>; null for a closed-loop run.</summary>
    public double? RequestIntervalTicks { get; }

    public long Start { get; private set; }

    /// <summary>Answers that complete from here on are measured.</summary>
    public long MeasureFrom { get; private set; }

    /// <summary>No request is sent from here on.</summary>
    public long Deadline { get; private set; } = long.MaxValue;

    public bool IsStopped => _stopped;

    /// <summary>Starts the clock: the warm-up, then the measured part.</summary>
    public void Begin(long now)
    {
        Start = now;
        MeasureFrom = now + _warmupTicks;
        Deadline = _durationTicks is long duration ? MeasureFrom + duration : long.MaxValue;
    }

    /// <summary>Stops sending at once (an interruption); requests in flight are still answered.</summary>
    public void Stop() => _stopped = true;

    /// <summary>True while requests may be sent.</summary>
    public bool CanSend(long now) => !_stopped && now < Deadline && !Budget.IsExhausted;

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
