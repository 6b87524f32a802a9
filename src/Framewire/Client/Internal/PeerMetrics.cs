using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Framewire.Client.Internal;

/// <summary>
/// The <c>framewire.peer.*</c> instruments of the <c>Framewire</c> meter, with one tag list per link (<c>peer</c>, its
/// name) built once, so that recording a frame allocates nothing. Without a listener every call is a cheap no-op.
/// </summary>
internal sealed class PeerMetrics
{
    private static readonly Meter s_meter = new(FramewireMetrics.MeterName);

    private static readonly UpDownCounter<long> s_connected =
        s_meter.CreateUpDownCounter<long>("framewire.peer.connected", "{link}", "Peer links connected now.");

    private static readonly Counter<long> s_reconnects =
        s_meter.CreateCounter<long>("framewire.peer.reconnects", "{connection}", "Connections a peer link made after its first.");

    private static readonly UpDownCounter<long> s_queued =
        s_meter.CreateUpDownCounter<long>("framewire.peer.queued", "{frame}", "Frames waiting in peer links' queues.");

    private static readonly Counter<long> s_sent =
        s_meter.CreateCounter<long>("framewire.peer.sent", "{frame}", "Frames peer links wrote to their peers.");

    private static readonly Counter<long> s_failed =
        s_meter.CreateCounter<long>("framewire.peer.failed", "{frame}", "Frames that did not make it, tagged by why.");

    private static readonly Histogram<double> s_requestDuration =
        s_meter.CreateHistogram<double>("framewire.peer.request.duration", "s", "Time from a peer request to its answer.");

    private readonly TagList _tags;
    private readonly string _peer;

    public PeerMetrics(string peer)
    {
        _peer = peer;
        _tags = new TagList { { "peer", peer } };
    }

    public static bool DurationEnabled => s_requestDuration.Enabled;

    public void Connected(bool first)
    {
        s_connected.Add(1, in _tags);
        if (!first)
        {
            s_reconnects.Add(1, in _tags);
        }
    }

    public void Disconnected() => s_connected.Add(-1, in _tags);

    public void Queued(int count) => s_queued.Add(count, in _tags);

    public void Sent() => s_sent.Add(1, in _tags);

    /// <summary>Failures are rare, so their tags are built per call.</summary>
    public void Failed(string reason)
    {
        if (s_failed.Enabled)
        {
            s_failed.Add(1, new KeyValuePair<string, object?>("peer", _peer), new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void RequestFinished(long startTimestamp)
    {
        if (startTimestamp != 0)
        {
            s_requestDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, in _tags);
        }
    }
}
