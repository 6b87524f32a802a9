using System.Net;

namespace Framewire.Engines;

/// <summary>
/// One open connection as <see cref="MessageServer.GetConnections"/> saw it. The connection's thread keeps
/// counting while the snapshot is read, so its fields need not be from exactly the same instant.
/// </summary>
public sealed class ConnectionSnapshot
{
    internal ConnectionSnapshot(long id, EndPoint? remoteEndPoint, EndPoint? localEndPoint, DateTimeOffset connectedAt, ConnectionState state)
    {
        Id = id;
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
        ConnectedAt = connectedAt;
        State = state;
    }

    /// <summary>The connection's number, as handlers see it in <see cref="Apps.ConnectionInfo.Id"/>.</summary>
    public long Id { get; }

    /// <summary>The client's address; behind a trusted proxy, the one its PROXY header gave.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The server address the client connected to.</summary>
    public EndPoint? LocalEndPoint { get; }

    /// <summary>When the connection was accepted.</summary>
    public DateTimeOffset ConnectedAt { get; }

    /// <summary>What the connection was doing.</summary>
    public ConnectionState State { get; }

    /// <summary>Bytes read from the connection (after TLS decryption).</summary>
    public long BytesReceived { get; internal init; }

    /// <summary>Bytes handed to the connection's socket (before TLS encryption).</summary>
    public long BytesSent { get; internal init; }

    /// <summary>Request frames decoded.</summary>
    public long FramesReceived { get; internal init; }

    /// <summary>Response and error frames written.</summary>
    public long FramesSent { get; internal init; }

    /// <summary>Requests received and not answered yet: 1 while a handler works, else 0.</summary>
    public int RequestsInFlight { get; internal init; }
}
