using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal;

/// <summary>Log messages of the steps before the protocol runs: PROXY headers and TLS handshakes (event ids from 100).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(100, LogLevel.Debug, "Connection {ConnectionId} from {RemoteEndPoint} refused: {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, long connectionId, string remoteEndPoint, string reason);

    [LoggerMessage(101, LogLevel.Debug, "Connection {ConnectionId} from proxy {ProxyEndPoint} is for client {RemoteEndPoint}")]
    public static partial void Proxied(ILogger logger, long connectionId, string proxyEndPoint, string remoteEndPoint);

    [LoggerMessage(102, LogLevel.Debug, "Connection {ConnectionId}: TLS {Protocol}, {CipherSuite}")]
    public static partial void TlsEstablished(ILogger logger, long connectionId, string protocol, string cipherSuite);

    [LoggerMessage(103, LogLevel.Warning, "TLS on the selector engine runs through SslStream, with its per-connection buffers: {Reason}")]
    public static partial void TlsThroughSslStream(ILogger logger, string reason);
}
