using Framewire.Apps;
using Framewire.Protocol;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Connections;

/// <summary>
/// How a connection ended, recorded once, as a value: the reason, what the log says about it, the error code it
/// counts as, and whether the server closes first (and so lingers for its last bytes to be read).
/// </summary>
internal readonly record struct ConnectionClose(CloseReason Reason, string? Detail = null)
{
    /// <summary>
    /// True when the server closes while the peer may still send: FIN first, then what the peer sends is discarded
    /// for a moment, so that the kernel does not answer unread bytes with a reset that could destroy the last frame.
    /// A peer that is gone, or that is refused before anything was answered, is just closed.
    /// </summary>
    public bool ClosesFirst => Reason is CloseReason.ProtocolError or CloseReason.IdleTimeout or CloseReason.FrameTimeout
        or CloseReason.DataRateTooLow or CloseReason.ServerShutdown or CloseReason.Failed;

    /// <summary>The close of an application that refused its input.</summary>
    public static ConnectionClose Refused(ProtocolError error) => new(CloseReason.ProtocolError, error.ToString());

    /// <summary>
    /// The error code a reason stands for: the code of the error frame that answers a message the close cuts short,
    /// and of the error count. <see cref="ErrorCode.None"/> for reasons that are no error of the peer's.
    /// </summary>
    public static ErrorCode ErrorCodeOf(CloseReason reason) => reason switch
    {
        CloseReason.ClosedByPeer => ErrorCode.FrameTruncated,
        CloseReason.FrameTimeout => ErrorCode.FrameTimeout,
        CloseReason.DataRateTooLow => ErrorCode.DataRateTooLow,
        CloseReason.SlowConsumer => ErrorCode.SlowConsumer,
        CloseReason.ServerShutdown => ErrorCode.ShuttingDown,
        _ => ErrorCode.None,
    };

    /// <summary>The reason as the metrics tag it: <c>closed_by_peer</c>, <c>handshake_failed</c>, … made once.</summary>
    public static string TagOf(CloseReason reason) => s_tags[(int)reason];

    private static readonly string[] s_tags =
        Array.ConvertAll(Enum.GetValues<CloseReason>(), static reason => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString()));

    /// <summary>Logs the close with its event: a slow consumer and a refused handshake have their own.</summary>
    public void Log(ILogger logger, ConnectionInfo connection)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        switch (Reason)
        {
            case CloseReason.SlowConsumer:
                ServerLog.SlowConsumer(logger, connection.Id, Detail ?? "");
                break;
            case CloseReason.HandshakeFailed:
                ServerLog.HandshakeRefused(logger, connection.Id, Endpoints.Format(connection.RemoteEndPoint), Detail ?? "");
                break;
            default:
                ServerLog.ConnectionClosed(logger, connection.Id, ToString());
                break;
        }
    }

    public override string ToString()
    {
        string words = Reason switch
        {
            CloseReason.ClosedByPeer => "closed by peer",
            CloseReason.ProtocolError => "protocol error",
            CloseReason.IdleTimeout => "idle timeout",
            CloseReason.FrameTimeout => "frame timeout",
            CloseReason.DataRateTooLow => "data rate too low",
            CloseReason.SlowConsumer => "slow consumer",
            CloseReason.ServerShutdown => "server shutdown",
            CloseReason.ShutdownTimeout => "aborted at shutdown timeout",
            CloseReason.HandshakeFailed => "handshake failed",
            CloseReason.ReceiveFailed => "receive failed",
            CloseReason.SendFailed => "send failed",
            _ => "failed",
        };
        return Detail is null ? words : words + ": " + Detail;
    }
}
