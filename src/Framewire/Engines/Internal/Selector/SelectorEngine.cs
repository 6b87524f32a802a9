using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// The selector engine: <see cref="MessageServerOptions.Loops"/> event loops, each a thread with its own selector.
/// TCP listeners use one SO_REUSEPORT socket per loop, so the kernel spreads connections and no loop hands sockets
/// to another; a Unix domain socket (no SO_REUSEPORT) is one listener watched by every loop.
/// </summary>
internal sealed class SelectorEngine : Engine
{
    private readonly List<Socket> _listenerSockets = [];
    private readonly List<LoopListener> _listeners = [];
    private readonly ILogger _logger;
    private EventLoop[] _loops = [];
    private OpenSslContext? _tls;
    private volatile bool _stopping;

    public SelectorEngine(MessageServerOptions options, ConnectionServices services)
        : base(options, services)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The selector engine needs Linux (epoll); use the async engine on " + RuntimeInformation.OSDescription + ".");
        }

        _logger = services.Log;
    }

    public bool IsStopping => _stopping;

    public override EndPoint Start()
    {
        int loopCount = Options.Loops > 0 ? Options.Loops : Environment.ProcessorCount;
        _loops = new EventLoop[loopCount];
        _tls = Options.Tls is null ? null : OpenSslContext.TryCreate(Options.Tls, _logger);
        for (int i = 0; i < loopCount; i++)
        {
            _loops[i] = new EventLoop(i + 1, _logger) { Tls = _tls };
        }

        EndPoint bound;
        try
        {
            bound = Listen();
        }
        catch
        {
            foreach (Socket socket in _listenerSockets)
            {
                socket.Dispose();
            }

            foreach (EventLoop loop in _loops)
            {
                loop.Dispose();
            }

            throw;
        }

        foreach (LoopListener listener in _listeners)
        {
            listener.Register();
        }

        foreach (EventLoop loop in _loops)
        {
            loop.StartSweeping(Services.Limits.SweepInterval);
            loop.Start();
        }

        return bound;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        await LoopShutdown.StopAsync(_listeners, _listenerSockets, _loops, Options.ShutdownTimeout, () => ConnectionCount, _logger, cancellationToken).ConfigureAwait(false);
        _tls?.Dispose();
    }

    /// <summary>Called on <paramref name="loop"/>'s thread with a freshly accepted, non-blocking descriptor.</summary>
    public void OnAccepted(EventLoop loop, int fd, EndPoint? remote, EndPoint local)
    {
        ConnectionInfo? info = Services.TryOpen(remote, local);
        if (info is null)
        {
            Services.Refuse(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));
            return;
        }

        var connection = new SelectorConnection(fd, info, loop, Services);
        connection.Start();
        if (_stopping)
        {
            connection.BeginShutdown();
        }
    }

    private EndPoint Listen()
    {
        EndPoint endPoint = Options.EndPoint;
        int backlog = Listeners.Backlog(Options.Backlog, _logger);
        if (endPoint is UnixDomainSocketEndPoint)
        {
            Socket shared = Listeners.Listen(endPoint, backlog);
            shared.Blocking = false;
            _listenerSockets.Add(shared);
            foreach (EventLoop loop in _loops)
            {
                _listeners.Add(new LoopListener(shared, loop, this));
            }

            return shared.LocalEndPoint!;
        }

        EndPoint? bound = null;
        foreach (EventLoop loop in _loops)
        {
            // The first bind may pick the port (port 0); the others join that port.
            Socket socket = Listeners.Listen(bound ?? endPoint, backlog, reusePort: true, joinOwnPort: bound is not null);
            socket.Blocking = false;
            _listenerSockets.Add(socket);
            _listeners.Add(new LoopListener(socket, loop, this));
            bound ??= socket.LocalEndPoint!;
        }

        return bound!;
    }
}
