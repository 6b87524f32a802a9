namespace Framewire.Engines;

/// <summary>Why a connection ended: one value per way, whichever engine ran it.</summary>
public enum CloseReason
{
    /// <summary>The peer closed its side of the connection.</summary>
    ClosedByPeer,

    /// <summary>The application refused what it received (the frame protocol answers with an error frame) and closed.</summary>
    ProtocolError,

    /// <summary>Nothing arrived for <see cref="MessageServerOptions.IdleTimeout"/> while nothing was in flight.</summary>
    IdleTimeout,

    /// <summary>A message's header was not complete within <see cref="MessageServerOptions.FrameTimeout"/> of its first byte.</summary>
    FrameTimeout,

    /// <summary>A message's content arrived slower than <see cref="MessageServerOptions.MinDataRate"/>.</summary>
    DataRateTooLow,

    /// <summary>The client did not take its output: past <see cref="MessageServerOptions.SendLimit"/>, or slower than the minimum data rate.</summary>
    SlowConsumer,

    /// <summary>The server stopped; what the connection had received was answered first.</summary>
    ServerShutdown,

    /// <summary>The connection was still open when <see cref="MessageServerOptions.ShutdownTimeout"/> ran out, and was aborted.</summary>
    ShutdownTimeout,

    /// <summary>The PROXY header or the TLS handshake failed, or did not come within <see cref="MessageServerOptions.HandshakeTimeout"/>.</summary>
    HandshakeFailed,

    /// <summary>Receiving failed: the peer reset the connection, or the socket broke.</summary>
    ReceiveFailed,

    /// <summary>Sending failed: the peer reset the connection, or the socket broke.</summary>
    SendFailed,

    /// <summary>Something unexpected failed on the connection; the log has the exception.</summary>
    Failed,
}
