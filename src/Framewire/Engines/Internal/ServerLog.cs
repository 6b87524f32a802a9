using System.Net;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal;

/// <summary>The engines' log messages, with stable event ids. Per-connection events log at Debug, so misbehaving peers cannot flood the log.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "Listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, string endPoint);

    [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId} from {RemoteEndPoint} accepted")]
    public static partial void ConnectionAccepted(ILogger logger, long connectionId, string remoteEndPoint);

    [LoggerMessage(3, LogLevel.Debug, "Connection {ConnectionId} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, string reason);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId} sent a bad frame: {Code}: {Message}")]
    public static partial void ProtocolError(ILogger logger, long connectionId, string code, string message);

    [LoggerMessage(5, LogLevel.Warning, "Connection {ConnectionId}: the handler failed")]
    public static partial void HandlerFailed(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "Accept failed with {SocketError}; retrying in {DelayMs} ms")]
    public static partial void AcceptRetry(ILogger logger, string socketError, int delayMs);

    [LoggerMessage(7, LogLevel.Error, "Accept loop on {EndPoint} stopped")]
    public static partial void AcceptFailed(ILogger logger, string endPoint, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "Stopping: {Count} connection(s) open")]
    public static partial void Stopping(ILogger logger, int count);

    [LoggerMessage(9, LogLevel.Warning, "Shutdown timeout: aborting {Count} connection(s)")]
    public static partial void AbortingConnections(ILogger logger, int count);

    [LoggerMessage(10, LogLevel.Debug, "Connection {ConnectionId} failed")]
    public static partial void ConnectionFailed(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(11, LogLevel.Debug, "Connection {ConnectionId}: request {ContentType}, {ContentLength} byte(s)")]
    public static partial void RequestReceived(ILogger logger, long connectionId, string contentType, int contentLength);

    [LoggerMessage(12, LogLevel.Debug, "Connection {ConnectionId}: received {Count} byte(s)")]
    public static partial void BytesReceived(ILogger logger, long connectionId, long count);

    [LoggerMessage(13, LogLevel.Critical, "Event loop {Loop} failed; its connections are no longer served")]
    public static partial void LoopFailed(ILogger logger, string loop, Exception exception);

    [LoggerMessage(14, LogLevel.Debug, "Connection from {RemoteEndPoint} refused: {MaxConnections} connection(s) open")]
    public static partial void ConnectionRefused(ILogger logger, string remoteEndPoint, int maxConnections);

    [LoggerMessage(15, LogLevel.Debug, "Connection {ConnectionId} closed as a slow consumer: {Detail}")]
    public static partial void SlowConsumer(ILogger logger, long connectionId, string detail);

    [LoggerMessage(16, LogLevel.Warning, "Listen backlog {Requested} is above the system's net.core.somaxconn ({Limit}): the kernel queues at most {Limit} connections not yet accepted")]
    public static partial void BacklogClamped(ILogger logger, int requested, int limit);

    [LoggerMessage(17, LogLevel.Warning, "The uring engine cannot run here: {Reason}; running on the selector engine")]
    public static partial void UringUnavailable(ILogger logger, string reason);

    public static string Describe(EndPoint? endPoint) => Endpoints.Format(endPoint);
}
