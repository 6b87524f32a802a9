using System.Diagnostics;
using System.Diagnostics.Metrics;
using Framewire.Engines.Internal.Connections;
using Framewire.Protocol;
using Framewire.Protocol.Internal;

namespace Framewire.Engines.Internal;

/// <summary>
/// The <c>Framewire</c> meter's instruments, with one pre-built tag list per engine so that recording a
/// measurement on the per-message path allocates nothing. Without a listener every call is a cheap no-op.
/// </summary>
internal sealed class ServerMetrics
{
    private static readonly Meter s_meter = new(FramewireMetrics.MeterName);

    private static readonly UpDownCounter<long> s_connectionsActive =
        s_meter.CreateUpDownCounter<long>("framewire.connections.active", "{connection}", "Connections currently open.");

    private static readonly Counter<long> s_connectionsTotal =
        s_meter.CreateCounter<long>("framewire.connections.total", "{connection}", "Connections accepted since start.");

    private static readonly Counter<long> s_framesReceived =
        s_meter.CreateCounter<long>("framewire.frames.received", "{frame}", "Request frames decoded.");

    private static readonly Counter<long> s_framesSent =
        s_meter.CreateCounter<long>("framewire.frames.sent", "{frame}", "Response and error frames written.");

    private static readonly Counter<long> s_bytesReceived =
        s_meter.CreateCounter<long>("framewire.bytes.received", "By", "Bytes read from connections.");

    private static readonly Counter<long> s_bytesSent =
        s_meter.CreateCounter<long>("framewire.bytes.sent", "By", "Bytes handed to connections' sockets.");

    private static readonly Counter<long> s_connectionsClosed =
        s_meter.CreateCounter<long>("framewire.connections.closed", "{connection}", "Connections closed, tagged by why.");

    private static readonly Counter<long> s_errors =
        s_meter.CreateCounter<long>("framewire.errors", "{error}", "Error frames written, tagged by error code.");

    private static readonly Histogram<double> s_requestDuration =
        s_meter.CreateHistogram<double>(RequestDurationName, "s", "Time from a decoded request to its answer.");

    /// <summary>The request duration's instrument name, for listeners in the process such as the admin dashboard.</summary>
    public const string RequestDurationName = "framewire.request.duration";

    private readonly TagList _tags;
    private readonly string _engine;

    private ServerMetrics(string engine)
    {
        _engine = engine;
        _tags = new TagList { { "engine", engine } };
    }

    /// <summary>The value of the <c>engine</c> tag on every measurement this engine records.</summary>
    public string Engine => _engine;

    public static ServerMetrics Async { get; } = new("async");

    public static ServerMetrics Selector { get; } = new("selector");

    public static ServerMetrics Uring { get; } = new("uring");

    /// <summary>True when someone listens to the request duration: only then is the clock read.</summary>
    public static bool DurationEnabled => s_requestDuration.Enabled;

    public static ServerMetrics For(ServerEngine engine) => engine switch
    {
        ServerEngine.Selector => Selector,
        ServerEngine.Uring => Uring,
        _ => Async,
    };

    public void ConnectionOpened()
    {
        s_connectionsTotal.Add(1, in _tags);
        s_connectionsActive.Add(1, in _tags);
    }

    /// <summary>Closes are per connection, not per message, so their tags are built per call.</summary>
    public void ConnectionClosed(CloseReason reason)
    {
        s_connectionsActive.Add(-1, in _tags);
        if (s_connectionsClosed.Enabled)
        {
            s_connectionsClosed.Add(1, new KeyValuePair<string, object?>("engine", _engine), new KeyValuePair<string, object?>("reason", ConnectionClose.TagOf(reason)));
        }
    }

    public void FrameReceived() => s_framesReceived.Add(1, in _tags);

    public void FrameSent() => s_framesSent.Add(1, in _tags);

    public void BytesReceived(long count)
    {
        if (count > 0)
        {
            s_bytesReceived.Add(count, in _tags);
        }
    }

    public void BytesSent(long count)
    {
        if (count > 0)
        {
            s_bytesSent.Add(count, in _tags);
        }
    }

    /// <summary>Errors are rare, so their tags are built per call.</summary>
    public void Error(ErrorCode code)
    {
        if (s_errors.Enabled)
        {
            s_errors.Add(1, new KeyValuePair<string, object?>("engine", _engine), new KeyValuePair<string, object?>("code", ErrorCodes.ToWireString(code)));
        }
    }

    /// <summary>Records the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp; 0 when not measured).</summary>
    public void RequestFinished(long startTimestamp)
    {
        if (startTimestamp != 0)
        {
            s_requestDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, in _tags);
        }
    }
}
