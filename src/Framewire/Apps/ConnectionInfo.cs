using System.Net;
using Framewire.Engines.Internal.Connections;
using Framewire.Engines.Internal;

namespace Framewire.Apps;

/// <summary>What a handler may know about the connection a request came on.</summary>
public sealed class ConnectionInfo
{
    // Engines describe their connections; handlers only read them. What the live figures hold too (the id, when) is
    // read from them rather than kept twice: every idle connection has one of these.
    internal ConnectionInfo(long id, EndPoint? remoteEndPoint, EndPoint? localEndPoint)
    {
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
        Stats = new ConnectionStats(id, remoteEndPoint, localEndPoint, DateTimeOffset.UtcNow);
    }

    private ConnectionInfo(ConnectionInfo connection, EndPoint? remoteEndPoint, EndPoint? localEndPoint)
    {
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;

        // The live view shows the client the proxy named, as handlers see it.
        Stats = connection.Stats;
        Stats.SetRemoteEndPoint(remoteEndPoint);
    }

    /// <summary>A number unique among the server's connections.</summary>
    public long Id => Stats.Id;

    /// <summary>The client's address (null for some Unix domain socket peers).</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The server address the client connected to.</summary>
    public EndPoint? LocalEndPoint { get; }

    /// <summary>When the connection was accepted.</summary>
    public DateTimeOffset ConnectedAt => Stats.ConnectedAt;

    /// <summary>The connection's live figures, which engines and protocols record and the server reports.</summary>
    internal ConnectionStats Stats { get; }

    /// <summary>The same connection seen through a proxy: the addresses its PROXY header gave.</summary>
    internal ConnectionInfo WithEndPoints(EndPoint? remoteEndPoint, EndPoint? localEndPoint) => new(this, remoteEndPoint, localEndPoint);
}
