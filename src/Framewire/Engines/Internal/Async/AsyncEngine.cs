using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Net;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Async;

/// <summary>The async engine: an accept loop on <see cref="Socket.AcceptAsync(CancellationToken)"/> and one <see cref="AsyncConnection"/> per client.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "StopAsync disposes the sweep timer.")]
internal sealed class AsyncEngine : Engine
{
    private readonly ConcurrentDictionary<long, (AsyncConnection Connection, Task Running)> _connections = new();
    private readonly ILogger _logger;
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private Timer? _sweep;
    private volatile bool _stopping;

    public AsyncEngine(MessageServerOptions options, ConnectionServices services)
        : base(options, services)
    {
        _logger = services.Log;
    }

    public override EndPoint Start()
    {
        _listener = Listeners.Listen(Options.EndPoint, Listeners.Backlog(Options.Backlog, _logger));
        _acceptLoop = AcceptLoopAsync(_listener);
        // One timer for all connections: a message costs a timestamp, never a timer.
        _sweep = new Timer(static state => ((AsyncEngine)state!).Sweep(), this, Services.Limits.SweepInterval, Services.Limits.SweepInterval);

        return _listener.LocalEndPoint!;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        if (_sweep is not null)
        {
            await _sweep.DisposeAsync().ConfigureAwait(false);
        }

        ServerLog.Stopping(_logger, _connections.Count);
        foreach ((AsyncConnection connection, _) in _connections.Values)
        {
            connection.BeginShutdown();
        }

        var running = new List<Task>(_connections.Count);
        foreach ((_, Task task) in _connections.Values)
        {
            running.Add(task);
        }

        Task drained = Task.WhenAll(running);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.ShutdownTimeout);
        try
        {
            await drained.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ServerLog.AbortingConnections(_logger, _connections.Count);
            foreach ((AsyncConnection connection, _) in _connections.Values)
            {
                connection.Abort();
            }

            await drained.ConfigureAwait(false);
        }
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
            catch (SocketException) when (_stopping)
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
                ServerLog.AcceptFailed(_logger, Endpoints.Format(Options.EndPoint), e);
                return;
            }

            StartConnection(accepted);
        }
    }

    private void Sweep()
    {
        long now = Environment.TickCount64;
        foreach (KeyValuePair<long, (AsyncConnection Connection, Task Running)> entry in _connections)
        {
            entry.Value.Connection.CheckTimeouts(now);
        }
    }

    private void StartConnection(Socket accepted)
    {
        ConnectionInfo? info = Services.TryOpen(accepted.RemoteEndPoint, accepted.LocalEndPoint);
        if (info is null)
        {
            Services.Refuse(accepted);
            return;
        }

        if (accepted.ProtocolType == ProtocolType.Tcp)
        {
            accepted.NoDelay = true;
        }

        var connection = new AsyncConnection(accepted, info, Services, Options);

        // Registered before it runs, so StopAsync cannot miss a connection that is just starting.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task running = RunConnectionAsync(connection, start.Task);
        _connections[info.Id] = (connection, running);
        start.SetResult();
        if (_stopping)
        {
            connection.BeginShutdown();
        }
    }

    private async Task RunConnectionAsync(AsyncConnection connection, Task start)
    {
        await start.ConfigureAwait(false);
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
        }
    }
}
