namespace Framewire.Engines;

/// <summary>What a connection is doing when a <see cref="ConnectionSnapshot"/> is taken.</summary>
public enum ConnectionState
{
    /// <summary>Waiting for a trusted proxy's PROXY header or a TLS handshake.</summary>
    Handshake,

    /// <summary>Nothing received that is not answered, nothing left to send.</summary>
    Idle,

    /// <summary>Part of a frame has arrived; the rest is awaited.</summary>
    Reading,

    /// <summary>A handler is working on a request.</summary>
    Processing,

    /// <summary>Answers wait for the client to read them (the socket's send buffer is full).</summary>
    Writing,

    /// <summary>Closing: the last answers are sent and the client's remaining bytes are discarded.</summary>
    Draining,
}
