using System.Net;

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
    }

    /// <summary>A number unique among the server's connections.</summary>
    public long Id { get; }

    /// <summary>The client's address (null for some Unix domain socket peers).</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The server address the client connected to.</summary>
    public EndPoint? LocalEndPoint { get; }

    /// <summary>When the connection was accepted.</summary>
    public DateTimeOffset ConnectedAt { get; }
}
