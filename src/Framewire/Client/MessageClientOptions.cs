using Framewire.Protocol;

namespace Framewire.Client;

/// <summary>How a <see cref="MessageClient"/> connects and what it accepts.</summary>
public sealed class MessageClientOptions
{
    /// <summary>How long to wait for the connection to be established: 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for a response, from the moment the request is sent: 30 s. <see cref="Timeout.InfiniteTimeSpan"/> waits forever.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Limits applied to response frames.</summary>
    public FrameLimits Limits { get; set; } = FrameLimits.Default;

    /// <summary>
    /// The <c>content-checksum</c> header every request carries; <see cref="ChecksumAlgorithm.None"/> (the default) writes
    /// none. A checksum on a response is verified either way: a mismatch fails that request with a
    /// <see cref="ProtocolException"/> (<c>checksum_mismatch</c>), and the connection goes on.
    /// </summary>
    public ChecksumAlgorithm Checksum { get; set; }

    /// <summary>TLS to the server; null (the default) for plain TCP.</summary>
    public TlsClientOptions? Tls { get; set; }

    /// <summary>
    /// How to retry when the connection drops (reset, end of stream, connection refused); null (the default) never
    /// reconnects, and a dropped connection fails every later request.
    /// </summary>
    public RetryPolicy? Retry { get; set; }
}
