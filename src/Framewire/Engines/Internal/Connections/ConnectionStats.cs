using System.Net;
using Framewire.Protocol;

namespace Framewire.Engines.Internal.Connections;

/// <summary>
/// One connection's live figures for <see cref="MessageServer.GetConnections"/>. Each field has a single writer
/// (the connection's loop thread, or on the async engine its receive loop for bytes in and its process loop for
/// the rest), which adds without a lock or an interlocked operation; readers on other threads use volatile reads.
/// Nothing here allocates, so recording stays off the per-message allocation budget.
/// </summary>
internal sealed class ConnectionStats
{
    // The registry holds the server's meter too, and the state and the in-flight flag fit a byte each: every open
    // connection has one of these.
    private ConnectionRegistry? _registry;
    private EndPoint? _remoteEndPoint;
    private byte _state = (byte)ConnectionState.Idle;
    private byte _inFlight;
    private long _bytesReceived;
    private long _bytesSent;
    private long _framesReceived;
    private long _framesSent;
    private volatile bool _closed;

    // UTC ticks rather than a DateTimeOffset: half the size, on every connection.
    private readonly long _connectedAtTicks;

    public ConnectionStats(long id, EndPoint? remoteEndPoint, EndPoint? localEndPoint, DateTimeOffset connectedAt)
    {
        Id = id;
        _remoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
        _connectedAtTicks = connectedAt.UtcTicks;
    }

    public long Id { get; }

    /// <summary>The registry's list of open connections, under its lock only.</summary>
    public ConnectionStats? Previous { get; set; }

    /// <summary>The registry's list of open connections, under its lock only.</summary>
    public ConnectionStats? Next { get; set; }

    /// <summary>In the registry's list: a connection leaves it once, when it closes.</summary>
    public bool Registered { get; set; }

    public EndPoint? LocalEndPoint { get; }

    public DateTimeOffset ConnectedAt => new(_connectedAtTicks, TimeSpan.Zero);

    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    public long BytesSent => Volatile.Read(ref _bytesSent);

    public long FramesReceived => Volatile.Read(ref _framesReceived);

    public long FramesSent => Volatile.Read(ref _framesSent);

    /// <summary>True once the connection has closed: what is still answered on it goes nowhere.</summary>
    public bool IsClosed => _closed;

    /// <summary>Joins the server's registry and its meter: errors are counted there, bytes recorded here too.</summary>
    public void Attach(ConnectionRegistry registry) => _registry = registry;

    /// <summary>The client a trusted proxy named replaces the proxy's address.</summary>
    public void SetRemoteEndPoint(EndPoint? remoteEndPoint) => Volatile.Write(ref _remoteEndPoint, remoteEndPoint);

    public void MarkClosed() => _closed = true;

    public void SetState(ConnectionState state) => Volatile.Write(ref _state, (byte)state);

    public void AddBytesReceived(long count)
    {
        Volatile.Write(ref _bytesReceived, _bytesReceived + count);
        _registry?.Metrics?.BytesReceived(count);
    }

    public void AddBytesSent(long count)
    {
        Volatile.Write(ref _bytesSent, _bytesSent + count);
        _registry?.Metrics?.BytesSent(count);
    }

    public void FrameReceived()
    {
        Volatile.Write(ref _framesReceived, _framesReceived + 1);
        Volatile.Write(ref _inFlight, 1);
    }

    public void FrameSent()
    {
        Volatile.Write(ref _framesSent, _framesSent + 1);
    }

    /// <summary>The request received last is answered (or failed): nothing is in flight.</summary>
    public void RequestEnded() => Volatile.Write(ref _inFlight, 0);

    /// <summary>Errors are rare and counted server-wide, with an interlocked add.</summary>
    public void Error(ErrorCode code) => _registry?.Error(code);

    public ConnectionSnapshot ToSnapshot() => new(Id, Volatile.Read(ref _remoteEndPoint), LocalEndPoint, ConnectedAt, (ConnectionState)Volatile.Read(ref _state))
    {
        BytesReceived = BytesReceived,
        BytesSent = BytesSent,
        FramesReceived = FramesReceived,
        FramesSent = FramesSent,
        RequestsInFlight = Volatile.Read(ref _inFlight),
    };
}
