using System.Diagnostics.Metrics;
using Framewire.Engines;
using Framewire.Engines.Internal;
using HdrHistogram;

namespace Framewire.Cli.Admin;

/// <summary>
/// The served server's request latency, from the <c>framewire.request.duration</c> the frame protocol already
/// records: while <see cref="Watch"/> is on, a listener in this process takes the measurements of the server's engine
/// into a histogram, and the dashboard takes one interval of it per second. Listening is what makes the engine read the
/// clock twice per request (about 0.27 µs a read on the project's VM, so some 0.7 µs a request with the record), so
/// it listens only while a dashboard is open.
/// </summary>
/// <remarks>
/// The measurements carry only the engine, so another frame-protocol server on the same engine in the process counts
/// too. The admin endpoint is one, on the async engine: on an async-engine server, <c>framewire status</c>'s requests
/// (one per refresh) are among the measured, invisible beside served traffic but all there is on an idle server.
/// </remarks>
internal sealed class RequestLatency : IDisposable
{
    // Nanoseconds, as a search is answered in about a microsecond: 1 ns to 60 s (past any request timeout) at 2
    // significant digits, 1 % being finer than a chart shows, keeps each of the recorder's two histograms near 30 KiB.
    private const long HighestNanoseconds = 60_000_000_000;

    private readonly Recorder _recorder = HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(1)
        .WithValuesUpTo(HighestNanoseconds)
        .WithPrecisionOf(2)
        .WithThreadSafeWrites()
        .WithThreadSafeReads()
        .Create();

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly string _engine;
    private Instrument? _duration;
    private bool _watching;
    private bool _disposed;
    private HistogramBase? _spare;

    public RequestLatency(ServerEngine engine)
    {
        _engine = ServerMetrics.For(engine).Engine;
        _listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name == FramewireMetrics.MeterName && instrument.Name == ServerMetrics.RequestDurationName)
            {
                lock (_lock)
                {
                    _duration = instrument;
                    Apply();
                }
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Starts or stops measuring: on while a dashboard watches, off (the clock unread) otherwise.</summary>
    public void Watch(bool watching)
    {
        lock (_lock)
        {
            _watching = watching;
            Apply();
        }
    }

    /// <summary>The requests measured since the last call, with their median and 99th percentile in milliseconds.</summary>
    public (long Count, double? P50, double? P99) TakeInterval()
    {
        HistogramBase interval = _spare is null ? _recorder.GetIntervalHistogram() : _recorder.GetIntervalHistogram(_spare);
        _spare = interval;
        long count = interval.TotalCount;
        return count == 0
            ? (0, null, null)
            : (count, Milliseconds(interval.GetValueAtPercentile(50)), Milliseconds(interval.GetValueAtPercentile(99)));
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _listener.Dispose();
        }
    }

    private void Apply()
    {
        if (_duration is null || _disposed)
        {
            return;
        }

        if (_watching)
        {
            _listener.EnableMeasurementEvents(_duration, this);
        }
        else
        {
            _listener.DisableMeasurementEvents(_duration);
        }
    }

    // A tenth of a microsecond is the finest the page shows.
    private static double Milliseconds(long nanoseconds) => Math.Round(nanoseconds / 1e6, 4);

    // Runs on the thread that answered the request, for every request: a tag comparison and a wait-free record.
    private static void OnMeasurement(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var self = (RequestLatency)state!;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Key == "engine" && tag.Value is string engine && engine == self._engine)
            {
                self._recorder.RecordValue(Math.Clamp((long)(seconds * 1e9), 1, HighestNanoseconds));
                return;
            }
        }
    }
}
