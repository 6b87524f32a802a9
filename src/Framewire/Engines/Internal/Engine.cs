using System.Net;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal;

/// <summary>
/// What <see cref="MessageServer"/> needs of an engine: listen, run connections through the protocol the
/// factory makes, and stop gracefully. Engines differ only in how they move bytes.
/// </summary>
internal abstract class Engine
{
    private long _nextConnectionId;
    private long _acceptedTotal;

    protected Engine(MessageServerOptions options, Func<ConnectionInfo, ConnectionApplication> protocolFactory, byte[]? busyFrame, ILogger logger)
    {
        Options = options;
        Limits = new ConnectionLimits(options);
        BusyFrame = busyFrame;
        ProtocolFactory = protocolFactory;
        Logger = logger;
        Metrics = ServerMetrics.For(options.Engine);
    }

    public abstract int ConnectionCount { get; }

    public long AcceptedTotal => Interlocked.Read(ref _acceptedTotal);

    /// <summary>The open connections' live figures and the closed ones' totals.</summary>
    public ConnectionRegistry Connections { get; } = new();

    protected MessageServerOptions Options { get; }

    protected Func<ConnectionInfo, ConnectionApplication> ProtocolFactory { get; }

    protected ILogger Logger { get; }

    /// <summary>The engine's instruments: <see cref="NewConnection"/> and <see cref="ConnectionEnded"/> count connections.</summary>
    protected ServerMetrics Metrics { get; }

    /// <summary>The limits and timeouts in force.</summary>
    public ConnectionLimits Limits { get; }

    /// <summary>The <c>server_busy</c> error frame a connection over the limit gets; null for raw streams, which are just closed.</summary>
    protected byte[]? BusyFrame { get; }

    /// <summary>Binds and starts accepting; returns the address actually bound.</summary>
    public abstract EndPoint Start();

    /// <summary>Stops accepting, drains connections within the shutdown timeout, aborts the rest.</summary>
    public abstract Task StopAsync(CancellationToken cancellationToken);

    protected ConnectionInfo NewConnection(EndPoint? remote, EndPoint? local)
    {
        Interlocked.Increment(ref _acceptedTotal);
        Metrics.ConnectionOpened();
        var info = new ConnectionInfo(Interlocked.Increment(ref _nextConnectionId), remote, local);
        info.Stats.Attach(Connections, Metrics);
        Connections.Add(info.Stats);
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.ConnectionAccepted(Logger, info.Id, Endpoints.Format(remote));
        }

        return info;
    }

    /// <summary>Called once for every connection <see cref="NewConnection"/> made, when it has closed.</summary>
    protected void ConnectionEnded(ConnectionInfo info)
    {
        Connections.Remove(info.Stats);
        Metrics.ConnectionClosed();
    }

    /// <summary>Counts and logs a client closed for not reading its output (<c>slow_consumer</c>). Any thread.</summary>
    public void OnSlowConsumer(long connectionId, string detail)
    {
        Metrics.Error(Protocol.ErrorCode.SlowConsumer);
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.SlowConsumer(Logger, connectionId, detail);
        }
    }

    protected void LogRefused(EndPoint? remote)
    {
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.ConnectionRefused(Logger, Endpoints.Format(remote), Limits.MaxConnections);
        }
    }
}
