using System.Diagnostics;
using HdrHistogram;

namespace Framewire.Cli.Bench;

/// <summary>
/// The run's latency histogram, in <see cref="Stopwatch"/> ticks. Connections hand over latencies in batches
/// (see <see cref="BenchConnection"/>), so the lock is taken once per few hundred answers, whichever thread a
/// connection's completions run on.
/// </summary>
internal sealed class LatencyRecorder
{
    // Latencies are bounded by the timeout; an hour of range keeps the histogram fixed (about 250 KiB at 3 digits).
    private static readonly long HighestTrackable = Stopwatch.Frequency * 3600;

    private readonly Lock _lock = new();
    private readonly LongHistogram _histogram = new(1, HighestTrackable, 3);
    private string? _firstFailure;

    /// <summary>What went wrong first, for the report; null while nothing has.</summary>
    public string? FirstFailure => Volatile.Read(ref _firstFailure);

    public void Record(ReadOnlySpan<long> latencies)
    {
        lock (_lock)
        {
            foreach (long ticks in latencies)
            {
                _histogram.RecordValue(Math.Clamp(ticks, 1, HighestTrackable));
            }
        }
    }

    public void ReportFailure(string failure) => Interlocked.CompareExchange(ref _firstFailure, failure, null);

    /// <summary>A copy of the histogram, taken once the connections are done.</summary>
    public HistogramBase Snapshot()
    {
        lock (_lock)
        {
            return _histogram.Copy();
        }
    }
}
