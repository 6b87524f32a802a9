using System.Net;
using Framewire.Protocol;

namespace Framewire.Engines;

/// <summary>How a <see cref="MessageServer"/> listens and what it tolerates.</summary>
public sealed partial class MessageServerOptions
{
    /// <summary>Where to listen; the tutorial's 127.0.0.1:65432 by default. Port 0 picks a free port.</summary>
    public EndPoint EndPoint { get; set; } = new IPEndPoint(IPAddress.Loopback, Endpoints.DefaultPort);

    /// <summary>The engine that runs the sockets.</summary>
    public ServerEngine Engine { get; set; } = ServerEngine.Async;

    /// <summary>
    /// Event loops for the selector engine, each a thread: one per processor by default (0), so every core
    /// services sockets and no loop waits on another.
    /// </summary>
    public int Loops { get; set; }

    /// <summary>Frame size limits.</summary>
    public FrameLimits Limits { get; set; } = FrameLimits.Default;

    /// <summary>
    /// The <c>content-checksum</c> header every response frame carries; <see cref="ChecksumAlgorithm.None"/> (the default)
    /// writes none, so frames stay byte-identical to the tutorial's. A checksum on a request is verified either way:
    /// a mismatch is answered with <c>checksum_mismatch</c>, and the connection stays open.
    /// </summary>
    public ChecksumAlgorithm Checksum { get; set; }

    /// <summary>
    /// The listen backlog, the kernel's queue of connections not yet accepted: 4096 by default, so that 10,000 clients
    /// reconnecting at once (after a restart or a failover) wait in the queue instead of retransmitting their SYNs after
    /// a second or more, as they did at nginx's and Kestrel's 512. Linux caps it at <c>net.core.somaxconn</c> (4096 since
    /// kernel 5.4); when that is lower the server says so once and uses it. At most 65535.
    /// </summary>
    public int Backlog { get; set; } = 4096;

    /// <summary>
    /// How long <see cref="MessageServer.StopAsync"/> lets connections finish what they hold before it aborts them.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a connection that is being closed after an error frame keeps reading (and discarding) what the peer
    /// still sends, so the close is a FIN and the peer gets to read the error instead of a reset.
    /// </summary>
    public TimeSpan LingerTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Open connections the server takes at most: 10000 by default, and never more than the process's open-files
    /// soft limit minus a reserve for listeners, logs and the runtime. Beyond it a new frame-protocol connection is
    /// answered with a <c>server_busy</c> error frame and closed; a stream connection is closed at once. Connections
    /// already open are not affected.
    /// </summary>
    public int MaxConnections { get; set; } = 10000;

    /// <summary>
    /// How long a connection with nothing in flight (no handler running, nothing left to send) may go without
    /// receiving a byte before it is closed: 120 s by default. <see cref="Timeout.InfiniteTimeSpan"/> or zero disables it.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Once the first byte of a frame has arrived, how long the rest of its header may take: 10 s by default. A peer
    /// that dribbles a header (slowloris) is answered with a <c>frame_timeout</c> error frame and closed.
    /// <see cref="Timeout.InfiniteTimeSpan"/> or zero disables it. Raw stream connections have no frames.
    /// </summary>
    public TimeSpan FrameTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Requests a connection reads ahead: decoded and answered but with their responses not yet all sent. At the
    /// limit the connection stops decoding and reading until its output has drained: 16 by default. Requests on one
    /// connection are handled one at a time and answered in order, so this bounds what a pipelining client queues,
    /// not the handlers running at once.
    /// </summary>
    public int MaxInFlight { get; set; } = 16;

    /// <summary>
    /// Response bytes a connection may produce ahead of what its client has read: 64 KiB by default. Above it the
    /// connection stops reading from that client until the client has taken its output (backpressure).
    /// </summary>
    public long SendHighWater { get; set; } = 64 * 1024;

    /// <summary>
    /// Unsent output, with the socket's buffers full, beyond which the client is a slow consumer and is closed:
    /// 1 MiB by default. A single response larger than this is not cut off by it; the minimum data rate applies.
    /// </summary>
    public long SendLimit { get; set; } = 1024 * 1024;

    /// <summary>
    /// The slowest a peer may send a frame's content, and read output the server has for it, in bytes per second,
    /// averaged after <see cref="MinDataRateGracePeriod"/>: 240 by default, as Kestrel's minimum request body data
    /// rate. Content slower than this is answered with <c>data_rate_too_low</c> and the connection closed; a client
    /// reading slower is closed as a slow consumer. Zero disables both.
    /// </summary>
    public double MinDataRate { get; set; } = 240;

    /// <summary>How long a transfer may run before <see cref="MinDataRate"/> applies to it: 5 s by default.</summary>
    public TimeSpan MinDataRateGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Threads for CPU-bound work that handlers offload: one per processor by default.</summary>
    public int WorkerThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// CPU-bound work items that may wait for a worker; beyond this, requests are refused with <c>server_busy</c>
    /// rather than queued without bound.
    /// </summary>
    public int WorkerQueueLength { get; set; } = 1024;

    /// <summary>
    /// Wait with a zero-byte receive until data arrives before taking a buffer from the pool, so an idle
    /// connection holds no receive buffer (as Kestrel does). Costs one more receive call per read.
    /// </summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; set; } = true;

    /// <summary>
    /// Networks of the load balancers that put a PROXY protocol header (v1 or v2) before each connection's bytes;
    /// empty by default. A connection from an address in one of them must start with a valid header, or it is
    /// closed; its <see cref="Apps.ConnectionInfo.RemoteEndPoint"/> is then the client the header names. From any
    /// other address a header is never looked for: it is just bad input. IPv4-mapped IPv6 peers count as IPv4.
    /// </summary>
    public IList<IPNetwork> TrustedProxies { get; } = [];

    /// <summary>TLS on every connection, on either engine; null (the default) for plain TCP.</summary>
    public TlsServerOptions? Tls { get; set; }

    /// <summary>
    /// How long a new connection has to deliver its PROXY header and complete its TLS handshake, when either is
    /// required; it is closed after that. 10 s, as a peer that takes longer is broken or holding a slot on purpose.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
