using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Framewire.Apps;
using Framewire.Engines.Internal;
using Framewire.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Framewire.Engines;

/// <summary>
/// The async engine: a TCP or Unix domain socket server on <see cref="Socket"/> and System.IO.Pipelines. It serves
/// either the frame protocol through an <see cref="IMessageHandler"/> (requests pipelined on a connection are
/// answered in order, and connections are kept alive) or raw byte streams through an <see cref="IStreamHandler"/>.
/// </summary>
public sealed class MessageServer : IAsyncDisposable
{
    private readonly MessageServerOptions _options;
    private readonly Func<ConnectionInfo, ConnectionProtocol> _protocolFactory;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, (SocketConnection Connection, Task Running)> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly WorkerPool _workers;
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private long _nextConnectionId;
    private long _acceptedTotal;
    private int _state;

    /// <summary>Creates a server for the frame protocol.</summary>
    public MessageServer(IMessageHandler handler, MessageServerOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory, out ILogger logger, out MessageServerOptions resolved, out CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _protocolFactory = info => new FrameProtocol(handler, resolved.Limits, info, _workers, logger, stopping);
    }

    /// <summary>Creates a server for raw byte streams.</summary>
    public MessageServer(IStreamHandler handler, MessageServerOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory, out ILogger logger, out _, out _)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _protocolFactory = info => new StreamProtocol(handler, info, logger);
    }

    private MessageServer(MessageServerOptions? options, ILoggerFactory? loggerFactory, out ILogger logger, out MessageServerOptions resolved, out CancellationToken stopping)
    {
        _options = resolved = options ?? new MessageServerOptions();
        _logger = logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Framewire.Server");
        stopping = _stopping.Token;
        _workers = new WorkerPool(resolved.WorkerThreads, resolved.WorkerQueueLength);
        _protocolFactory = null!;
    }

    /// <summary>The address the server listens on, with the real port when port 0 was asked for; null before start.</summary>
    public EndPoint? LocalEndPoint { get; private set; }

    /// <summary>The number of open connections.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>The number of connections accepted since start.</summary>
    public long AcceptedTotal => Interlocked.Read(ref _acceptedTotal);

    /// <summary>Binds, listens and starts accepting connections.</summary>
    /// <exception cref="SocketException">The address is in use or cannot be bound.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The server has already been started.");
        }

        EndPoint endPoint = _options.EndPoint;
        Socket listener = Endpoints.CreateSocket(endPoint);
        try
        {
            if (endPoint is UnixDomainSocketEndPoint unix)
            {
                RemoveStaleSocketFile(unix);
            }
            else if (endPoint is IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip && ip.Address.Equals(IPAddress.IPv6Any))
            {
                // "::" means every interface, IPv4 included, as it does for most servers.
                listener.DualMode = true;
            }

            listener.Bind(endPoint);
            listener.Listen(_options.Backlog);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        LocalEndPoint = listener.LocalEndPoint;
        ServerLog.Listening(_logger, Endpoints.Format(listener.LocalEndPoint));
        _acceptLoop = AcceptLoopAsync(listener);
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

        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        if (_options.EndPoint is UnixDomainSocketEndPoint unix)
        {
            RemoveStaleSocketFile(unix);
        }

        ServerLog.Stopping(_logger, _connections.Count);
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach ((SocketConnection connection, _) in _connections.Values)
        {
            connection.BeginShutdown();
        }

        Task drained = Task.WhenAll(SnapshotRunning());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ShutdownTimeout);
        try
        {
            await drained.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ServerLog.AbortingConnections(_logger, _connections.Count);
            foreach ((SocketConnection connection, _) in _connections.Values)
            {
                connection.Abort();
            }

            await drained.ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _workers.Dispose();
        _stopping.Dispose();
    }

    private List<Task> SnapshotRunning()
    {
        var running = new List<Task>(_connections.Count);
        foreach ((_, Task task) in _connections.Values)
        {
            running.Add(task);
        }

        return running;
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted || Volatile.Read(ref _state) != 1)
            {
                // The listener was closed by StopAsync.
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                // The client gave up before we accepted it; nothing to do for the others.
                continue;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Out of descriptors or kernel memory: back off so closing connections can free some, then retry.
                const int BackoffMs = 100;
                ServerLog.AcceptRetry(_logger, e.SocketErrorCode.ToString(), BackoffMs);
                await Task.Delay(BackoffMs).ConfigureAwait(false);
                continue;
            }
            catch (Exception e)
            {
                ServerLog.AcceptFailed(_logger, Endpoints.Format(_options.EndPoint), e);
                return;
            }

            StartConnection(accepted);
        }
    }

    private void StartConnection(Socket accepted)
    {
        long id = Interlocked.Increment(ref _nextConnectionId);
        Interlocked.Increment(ref _acceptedTotal);
        if (accepted.ProtocolType == ProtocolType.Tcp)
        {
            accepted.NoDelay = true;
        }

        var info = new ConnectionInfo(id, accepted.RemoteEndPoint, accepted.LocalEndPoint);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.ConnectionAccepted(_logger, id, Endpoints.Format(info.RemoteEndPoint));
        }

        var connection = new SocketConnection(accepted, info, _protocolFactory, _options, _logger);

        // Registered before it runs, so StopAsync cannot miss a connection that is just starting.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task running = RunConnectionAsync(connection, start.Task);
        _connections[id] = (connection, running);
        start.SetResult();
        if (Volatile.Read(ref _state) != 1)
        {
            connection.BeginShutdown();
        }
    }

    private async Task RunConnectionAsync(SocketConnection connection, Task start)
    {
        await start.ConfigureAwait(false);
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection.Info.Id, out _);
        }
    }

    private static void RemoveStaleSocketFile(UnixDomainSocketEndPoint endPoint)
    {
        string path = endPoint.ToString();
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
