using System.Net.Sockets;
using System.Net;
using Framewire.Apps;
using Framewire.Engines.Internal.Async;
using Framewire.Engines.Internal.Selector;
using Framewire.Engines.Internal.Uring;
using Framewire.Engines.Internal;
using Framewire.Engines.Internal.Connections;
using Framewire.Internal;
using Framewire.Protocol.Internal;
using Framewire.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines;

/// <summary>
/// A TCP or Unix domain socket server. It serves either the frame protocol, through an
/// <see cref="IMessageHandler"/> called per request or an <see cref="IngressQueue"/> the node pulls requests from
/// (requests pipelined on a connection are answered in order, and connections are kept alive), or raw byte streams
/// through an <see cref="IStreamHandler"/>, on the engine the options choose.
/// </summary>
public sealed class MessageServer : IAsyncDisposable
{
    private readonly MessageServerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly WorkerPool _workers;
    private readonly Engine _engine;
    private readonly ServerEngine _engineKind;
    private int _state;

    /// <summary>Creates a server for the frame protocol.</summary>
    /// <exception cref="OptionOutOfRangeException">An option is out of range (<see cref="MessageServerOptions.Validate"/>).</exception>
    /// <exception cref="InvalidOperationException">TLS was asked for on an engine that does not run it.</exception>
    public MessageServer(IMessageHandler handler, MessageServerOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(handler, static frames => frames, options, loggerFactory)
    {
    }

    /// <summary>
    /// Creates a server for the frame protocol whose connections <paramref name="wrap"/> may also serve another way:
    /// it gets each connection's frame-protocol application and returns the one that runs the connection (the
    /// command's admin endpoint tells HTTP from frames by the first byte).
    /// </summary>
    internal MessageServer(IMessageHandler handler, Func<ConnectionApplication, ConnectionApplication> wrap, MessageServerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        (_options, _logger, _workers, _engineKind) = Initialize(options, loggerFactory);
        CancellationToken stopping = _stopping.Token;
        ServerMetrics metrics = ServerMetrics.For(_engineKind);
        var settings = new FrameApplication.Settings(handler, _options.Limits, _workers, _logger, metrics, stopping, _options.Checksum);
        _engine = CreateEngine(info => wrap(new FrameApplication(settings, info)), BusyFrame());
    }

    /// <summary>
    /// Creates a server for the frame protocol in the pull model: each request frame goes into
    /// <paramref name="queue"/> as an <see cref="IncomingMessage"/>, for the node's own thread to take and answer.
    /// Several servers may share one queue. While the queue is full, connections with a message to add stop reading
    /// until it has room.
    /// </summary>
    /// <exception cref="OptionOutOfRangeException">An option is out of range (<see cref="MessageServerOptions.Validate"/>).</exception>
    /// <exception cref="InvalidOperationException">TLS, or this server, was asked for on an engine that does not run it (the uring engine).</exception>
    public MessageServer(IngressQueue queue, MessageServerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(queue);
        (_options, _logger, _workers, _engineKind) = Initialize(options, loggerFactory);
        ServerMetrics metrics = ServerMetrics.For(_engineKind);
        _engine = CreateEngine(info => new IngressApplication(queue, _options.Limits, _options.MaxInFlight, info, _logger, metrics, _options.Checksum), BusyFrame());
    }

    /// <summary>Creates a server for raw byte streams.</summary>
    /// <exception cref="OptionOutOfRangeException">An option is out of range (<see cref="MessageServerOptions.Validate"/>).</exception>
    /// <exception cref="InvalidOperationException">TLS was asked for on an engine that does not run it.</exception>
    public MessageServer(IStreamHandler handler, MessageServerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        (_options, _logger, _workers, _engineKind) = Initialize(options, loggerFactory);
        // A stream handler keeps no per-connection state (IStreamHandler), so neither does its application: one for
        // all connections, and an idle one holds no object for it.
        var application = new StreamApplication(handler, _logger);
        _engine = CreateEngine(_ => application, busyFrame: null);
    }

    /// <summary>
    /// Creates a server for a protocol of your own: <paramref name="createApplication"/> makes the
    /// <see cref="ConnectionApplication"/> of each accepted connection (after its PROXY header, when a trusted proxy
    /// sends one). Every limit, timeout and engine applies as for the frame protocol; a connection over
    /// <see cref="MessageServerOptions.MaxConnections"/> is closed at once.
    /// </summary>
    /// <exception cref="OptionOutOfRangeException">An option is out of range (<see cref="MessageServerOptions.Validate"/>).</exception>
    /// <exception cref="InvalidOperationException">TLS was asked for on an engine that does not run it.</exception>
    public MessageServer(Func<ConnectionInfo, ConnectionApplication> createApplication, MessageServerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(createApplication);
        (_options, _logger, _workers, _engineKind) = Initialize(options, loggerFactory);
        _engine = CreateEngine(createApplication, busyFrame: null);
    }

    /// <summary>The address the server listens on, with the real port when port 0 was asked for; null before start.</summary>
    public EndPoint? LocalEndPoint { get; private set; }

    /// <summary>The number of open connections.</summary>
    public int ConnectionCount => _engine.ConnectionCount;

    /// <summary>The number of connections accepted since start.</summary>
    public long AcceptedTotal => _engine.Services.AcceptedTotal;

    /// <summary>
    /// The open connections, oldest first, each with its peer, state and counters: the live view that
    /// <c>netstat</c> cannot give. Safe to call from any thread at any time; it costs the connections nothing.
    /// </summary>
    public IReadOnlyList<ConnectionSnapshot> GetConnections() => _engine.Services.Registry.GetConnections();

    /// <summary>This server's counters since it started. Safe to call from any thread at any time.</summary>
    public ServerStatistics GetStatistics() => _engine.Services.Registry.GetStatistics(_engineKind, _engine.Services.AcceptedTotal);

    /// <summary>Binds, listens and starts accepting connections.</summary>
    /// <exception cref="SocketException">The address is in use or cannot be bound.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The server has already been started.");
        }

        try
        {
            LocalEndPoint = _engine.Start();
        }
        catch
        {
            // Nothing runs and nothing was bound: there is nothing to stop, and a Unix socket file that is in the
            // way belongs to someone else.
            Volatile.Write(ref _state, 3);
            throw;
        }

        ServerLog.Listening(_logger, Endpoints.Format(LocalEndPoint));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops gracefully: stops accepting, lets every connection finish the requests it has received, then closes
    /// them. Connections still open after <see cref="MessageServerOptions.ShutdownTimeout"/> (or when
    /// <paramref name="cancellationToken"/> fires) are aborted.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 2, 1) != 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _engine.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_options.EndPoint is UnixDomainSocketEndPoint unix)
        {
            Listeners.RemoveSocketFile(unix);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _workers.Dispose();
        _stopping.Dispose();
    }

    private static (MessageServerOptions Options, ILogger Logger, WorkerPool Workers, ServerEngine Engine) Initialize(MessageServerOptions? options, ILoggerFactory? loggerFactory)
    {
        MessageServerOptions resolved = options ?? new MessageServerOptions();
        resolved.Validate();
        ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Framewire.Server");
        ServerEngine engine = resolved.Engine;
        if (engine == ServerEngine.Uring)
        {
            if (resolved.Tls is not null)
            {
                throw new InvalidOperationException("The uring engine does not run TLS; use the selector or the async engine for a TLS server.");
            }

            if (UringSupport.Unavailable is string reason)
            {
                ServerLog.UringUnavailable(logger, reason);
                engine = ServerEngine.Selector;
            }
        }

        return (resolved, logger, new WorkerPool(resolved.WorkerThreads, resolved.WorkerQueueLength), engine);
    }

    /// <summary>The <c>server_busy</c> frame for connections over the limit, encoded once.</summary>
    private static byte[] BusyFrame()
    {
        var frame = new System.Buffers.ArrayBufferWriter<byte>(256);
        ErrorFrame.Write(frame, new ProtocolError(ErrorCode.ServerBusy, "The server has no room for another connection; try again later."));
        return frame.WrittenSpan.ToArray();
    }

    private Engine CreateEngine(Func<ConnectionInfo, ConnectionApplication> createApplication, byte[]? busyFrame)
    {
        var services = new ConnectionServices(_options, _engineKind, createApplication, busyFrame, _logger);
        return _engineKind switch
        {
            ServerEngine.Async => new AsyncEngine(_options, services),
            ServerEngine.Selector => new SelectorEngine(_options, services),
            ServerEngine.Uring => new UringEngine(_options, services),
            _ => throw new OptionOutOfRangeException(nameof(MessageServerOptions.Engine), _options.Engine, $"{ServerEngine.Async}, {ServerEngine.Selector} or {ServerEngine.Uring}"),
        };
    }
}
