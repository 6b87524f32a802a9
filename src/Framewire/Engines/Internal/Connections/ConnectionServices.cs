using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Framewire.Apps;
using Framewire.Proxy;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Connections;

/// <summary>
/// What a connection needs of its server, the same for every engine: the limits, the log and the meter, the
/// application to run, admission against <see cref="MessageServerOptions.MaxConnections"/>, the PROXY step and the
/// books of open and closed connections. Connections get this, not their engine.
/// </summary>
internal sealed class ConnectionServices
{
    private readonly Func<ConnectionInfo, ConnectionApplication> _createApplication;
    private readonly byte[]? _busyFrame;
    private readonly IList<IPNetwork> _trustedProxies;
    private long _nextConnectionId;
    private long _acceptedTotal;
    private int _open;

    public ConnectionServices(MessageServerOptions options, ServerEngine engine, Func<ConnectionInfo, ConnectionApplication> createApplication, byte[]? busyFrame, ILogger logger)
    {
        _createApplication = createApplication;
        _busyFrame = busyFrame;
        _trustedProxies = options.TrustedProxies;
        Limits = new ConnectionLimits(options);
        Log = logger;
        Metrics = ServerMetrics.For(engine);
        Registry = new ConnectionRegistry { Metrics = Metrics };
        HandshakeTimeout = options.HandshakeTimeout;
        LingerTimeout = options.LingerTimeout;
        Tls = options.Tls is null ? null : ServerTls.CreateAuthenticationOptions(options.Tls);
    }

    public ConnectionLimits Limits { get; }

    public ILogger Log { get; }

    public ServerMetrics Metrics { get; }

    /// <summary>The open connections' live figures and the closed ones' totals.</summary>
    public ConnectionRegistry Registry { get; }

    public TimeSpan HandshakeTimeout { get; }

    /// <summary>What every connection's TLS handshake takes, made once per server; null for plain TCP.</summary>
    public SslServerAuthenticationOptions? Tls { get; }

    /// <summary>How long a connection the server closes first keeps discarding what the peer still sends.</summary>
    public TimeSpan LingerTimeout { get; }

    public int OpenCount => Volatile.Read(ref _open);

    public long AcceptedTotal => Interlocked.Read(ref _acceptedTotal);

    /// <summary>
    /// Takes a freshly accepted connection in, or returns null when <see cref="ConnectionLimits.MaxConnections"/> are
    /// open: then the caller hands the socket to <see cref="Refuse"/>. Every connection this returns must end with
    /// <see cref="Closed"/>.
    /// </summary>
    public ConnectionInfo? TryOpen(EndPoint? remote, EndPoint? local)
    {
        if (Interlocked.Increment(ref _open) > Limits.MaxConnections)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }

        Interlocked.Increment(ref _acceptedTotal);
        Metrics.ConnectionOpened();
        var info = new ConnectionInfo(Interlocked.Increment(ref _nextConnectionId), remote, local);
        info.Stats.Attach(Registry);
        Registry.Add(info.Stats);
        if (Log.IsEnabled(LogLevel.Debug))
        {
            ServerLog.ConnectionAccepted(Log, info.Id, Endpoints.Format(remote));
        }

        return info;
    }

    /// <summary>Records that a connection <see cref="TryOpen"/> took in has closed, and why. Once per connection.</summary>
    public void Closed(ConnectionInfo info, ConnectionClose close)
    {
        info.Stats.MarkClosed();
        if (close.Reason == CloseReason.SlowConsumer)
        {
            Metrics.Error(Protocol.ErrorCode.SlowConsumer);
        }

        close.Log(Log, info);
        Registry.Remove(info.Stats, close.Reason);
        Metrics.ConnectionClosed(close.Reason);
        Interlocked.Decrement(ref _open);
    }

    public ConnectionApplication CreateApplication(ConnectionInfo info) => _createApplication(info);

    /// <summary>True when the peer is a trusted proxy, whose connection must start with a PROXY header.</summary>
    public bool RequiresProxyHeader(EndPoint? remote) => ProxyTrust.IsTrusted(_trustedProxies, remote);

    /// <summary>The connection as handlers see it after its PROXY header: with the client's addresses the header gives.</summary>
    public ConnectionInfo AfterProxyHeader(ConnectionInfo info, ProxyHeader header)
    {
        if (header.Source is null)
        {
            // LOCAL (a health check) and UNKNOWN carry no client: the proxy's own addresses stay.
            return info;
        }

        ConnectionInfo proxied = info.WithEndPoints(header.Source, header.Destination ?? info.LocalEndPoint);
        if (Log.IsEnabled(LogLevel.Debug))
        {
            ServerLog.Proxied(Log, info.Id, Endpoints.Format(info.RemoteEndPoint), Endpoints.Format(proxied.RemoteEndPoint));
        }

        return proxied;
    }

    /// <summary>What a handshake step (the PROXY header, TLS) that ran out of time is refused with.</summary>
    public string HandshakeLate(string step) => $"no {step} within {HandshakeTimeout.TotalSeconds:0.###} s";

    /// <summary>The close of a trusted proxy's connection that did not start with a valid PROXY header.</summary>
    public static ConnectionClose ProxyHeaderRefused(string detail) =>
        new(CloseReason.HandshakeFailed, "PROXY header required from a trusted proxy: " + detail);

    /// <summary>
    /// A connection over the limit: the <c>server_busy</c> frame (it fits any fresh socket's send buffer; not under
    /// TLS, where it could not be read; raw streams have none), FIN, then close. What the peer already sent is read
    /// first, so the close is not a reset that could destroy the frame. Connections already open are not affected.
    /// </summary>
    public void Refuse(Socket accepted)
    {
        if (Log.IsEnabled(LogLevel.Debug))
        {
            ServerLog.ConnectionRefused(Log, Endpoints.Format(accepted.RemoteEndPoint), Limits.MaxConnections);
        }

        try
        {
            if (_busyFrame is not null && Tls is null)
            {
                accepted.Blocking = false;
                _ = accepted.Send(_busyFrame, SocketFlags.None, out _);
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
}
