namespace Framewire.Cli.Bench;

/// <summary>Where a <see cref="SelectorConnection"/> is in its life.</summary>
internal enum SelectorConnectionState
{
    /// <summary>A non-blocking connect is under way; the socket waits for writability.</summary>
    Connecting,

    /// <summary>Connected, and the TLS handshake under way; the socket is watched for what the handshake waits for.</summary>
    Handshaking,

    /// <summary>Connected (with TLS, past the handshake): sending and receiving.</summary>
    Open,

    /// <summary>A connect failed; the next try is at <see cref="SelectorConnection.RetryAt"/>.</summary>
    Waiting,

    /// <summary>Nothing left to send or receive.</summary>
    Done,
}
