using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Framewire.Apps;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Async;

/// <summary>The async engine: an accept loop on <see cref="Socket.AcceptAsync(CancellationToken)"/> and one <see cref="AsyncConnection"/> per client.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "StopAsync disposes the sweep timer.")]
internal sealed class AsyncEngine : Engine
{
    private readonly ConcurrentDictionary<long, (AsyncConnection Connection, Task Running)> _connections = new();
    private readonly SslServerAuthenticationOptions? _tls;
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private Timer? _sweep;
    private int _open;
    private volatile bool _stopping;

    public AsyncEngine(MessageServerOptions options, Func<ConnectionInfo, ConnectionApplication> protocolFactory, byte[]? busyFrame, ILogger logger)
        : base(options, protocolFactory, busyFrame, logger)
    {
        _tls = options.Tls is null ? null : ServerTls.CreateAuthenticationOptions(options.Tls);
    }

    public override int ConnectionCount => _connections.Count;

    public override EndPoint Start()
    {
        _listener = Listeners.Listen(Options.EndPoint, Options.Backlog);
        _acceptLoop = AcceptLoopAsync(_listener);
        // One timer for all connections: a message costs a timestamp, never a timer.
        _sweep = new Timer(static state => ((AsyncEngine)state!).Sweep(), this, Limits.SweepInterval, Limits.SweepInterval);

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

        ServerLog.Stopping(Logger, _connections.Count);
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
            ServerLog.AbortingConnections(Logger, _connections.Count);
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
                ServerLog.AcceptRetry(Logger, e.SocketErrorCode.ToString(), BackoffMs);
                await Task.Delay(BackoffMs).ConfigureAwait(false);
                continue;
            }
            catch (Exception e)
            {
                ServerLog.AcceptFailed(Logger, Endpoints.Format(Options.EndPoint), e);
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

    /// <summary>
    /// A connection over the limit: the busy frame (not under TLS, where it could not be read), FIN, then close.
    /// What the peer already sent is read first, so the close is not a reset that could destroy the frame.
    /// </summary>
    private void Refuse(Socket accepted)
    {
        LogRefused(accepted.RemoteEndPoint);
        try
        {
            if (BusyFrame is not null && Options.Tls is null)
            {
                accepted.Blocking = false;
                _ = accepted.Send(BusyFrame, SocketFlags.None, out _);
                accepted.Shutdown(SocketShutdown.Send);
                Span<byte> sink = stackalloc byte[1024];
                while (accepted.Available > 0 && accepted.Receive(sink, SocketFlags.None, out _) > 0)
                {
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer is gone already.
        }
        finally
        {
            accepted.Dispose();
        }
    }

    private void StartConnection(Socket accepted)
    {
        if (Interlocked.Increment(ref _open) > Limits.MaxConnections)
        {
            Interlocked.Decrement(ref _open);
            Refuse(accepted);
            return;
        }

        if (accepted.ProtocolType == ProtocolType.Tcp)
        {
            accepted.NoDelay = true;
        }

        ConnectionInfo info = NewConnection(accepted.RemoteEndPoint, accepted.LocalEndPoint);
        var connection = new AsyncConnection(accepted, info, ProtocolFactory, Options, this, _tls, Logger);

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
            _connections.TryRemove(connection.Info.Id, out _);
            Interlocked.Decrement(ref _open);
            ConnectionEnded(connection.Info);
        }
    }
}
