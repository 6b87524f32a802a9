using System.Net;
using Framewire.Engines.Internal.Connections;
using Framewire.Engines.Internal;

namespace Framewire.Apps;

/// <summary>What a handler may know about the connection a request came on.</summary>
public sealed class ConnectionInfo
{
    // Engines describe their connections; handlers only read them.
    internal ConnectionInfo(long id, EndPoint? remoteEndPoint, EndPoint? localEndPoint)
    {
        Id = id;
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
        ConnectedAt = DateTimeOffset.UtcNow;
        Stats = new ConnectionStats(id, remoteEndPoint, localEndPoint, ConnectedAt);
    }

    private ConnectionInfo(ConnectionInfo connection, EndPoint? remoteEndPoint, EndPoint? localEndPoint)
    {
        Id = connection.Id;
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
        ConnectedAt = connection.ConnectedAt;

        // The live view shows the client the proxy named, as handlers see it.
        Stats = connection.Stats;
        Stats.SetRemoteEndPoint(remoteEndPoint);
    }

    /// <summary>A number unique among the server's connections.</summary>
    public long Id { get; }

    /// <summary>The client's address (null for some Unix domain socket peers).</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The server address the client connected to.</summary>
    public EndPoint? LocalEndPoint { get; }

    /// <summary>When the connection was accepted.</summary>
    public DateTimeOffset ConnectedAt { get; }

    /// <summary>The connection's live figures, which engines and protocols record and the server reports.</summary>
    internal ConnectionStats Stats { get; }

    /// <summary>The same connection seen through a proxy: the addresses its PROXY header gave.</summary>
    internal ConnectionInfo WithEndPoints(EndPoint? remoteEndPoint, EndPoint? localEndPoint) => new(this, remoteEndPoint, localEndPoint);
}
