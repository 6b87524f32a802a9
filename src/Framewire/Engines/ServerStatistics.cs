using Framewire.Protocol;

namespace Framewire.Engines;

/// <summary>
/// A server's counters since it started, from <see cref="MessageServer.GetStatistics"/>: the same figures the
/// <c>Framewire</c> meter records, but for this server alone and without a listener.
/// </summary>
public sealed class ServerStatistics
{
    internal ServerStatistics(ServerEngine engine, IReadOnlyDictionary<ErrorCode, long> errors, IReadOnlyDictionary<CloseReason, long> closes)
    {
        Engine = engine;
        Errors = errors;
        Closes = closes;
    }

    /// <summary>The engine that runs the server.</summary>
    public ServerEngine Engine { get; }

    /// <summary>Connections open now.</summary>
    public int ActiveConnections { get; internal init; }

    /// <summary>Connections accepted since start (not those refused over the connection limit).</summary>
    public long AcceptedConnections { get; internal init; }

    /// <summary>Request frames decoded.</summary>
    public long FramesReceived { get; internal init; }

    /// <summary>Response and error frames written.</summary>
    public long FramesSent { get; internal init; }

    /// <summary>Bytes read from connections.</summary>
    public long BytesReceived { get; internal init; }

    /// <summary>Bytes handed to connections' sockets.</summary>
    public long BytesSent { get; internal init; }

    /// <summary>Error frames written, by error code; codes never written are absent.</summary>
    public IReadOnlyDictionary<ErrorCode, long> Errors { get; }

    /// <summary>
    /// Connections closed since start, by why they closed (a refused TLS handshake, a broken record, a slow consumer,
    /// …); reasons never seen are absent. Connections refused over the connection limit are not among them.
    /// </summary>
    public IReadOnlyDictionary<CloseReason, long> Closes { get; }
}
