using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Framewire.Tests.Metrics;

/// <summary>Sums every measurement of the <c>Framewire</c> meter made while it exists, per instrument and tag set.</summary>
internal sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _sums = new();
    private readonly ConcurrentDictionary<string, long> _counts = new();

    /// <param name="ignoreMeasurements">Listen (so instruments are enabled) but keep nothing, for allocation tests.</param>
    public MetricsRecorder(bool ignoreMeasurements = false)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == FramewireMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        if (ignoreMeasurements)
        {
            _listener.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
            _listener.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
        }
        else
        {
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        }

        _listener.Start();
    }

    /// <summary>The sum of <paramref name="instrument"/>'s measurements tagged with <paramref name="tag"/> (<c>key=value</c>).</summary>
    public double Sum(string instrument, string tag) => _sums.GetValueOrDefault(instrument + "|" + tag);

    /// <summary>How many measurements <paramref name="instrument"/> took with <paramref name="tag"/>.</summary>
    public long Count(string instrument, string tag) => _counts.GetValueOrDefault(instrument + "|" + tag);

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            string key = instrument.Name + "|" + tag.Key + "=" + tag.Value;
            _sums.AddOrUpdate(key, value, (_, sum) => sum + value);
            _counts.AddOrUpdate(key, 1, (_, count) => count + 1);
        }
    }
}
