using System.Net;
using System.Net.Sockets;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Uring;

/// <summary>
/// The io_uring engine: <see cref="MessageServerOptions.Loops"/> loops, as the selector engine has, each a thread with
/// its own ring and provided buffers. TCP listeners use one SO_REUSEPORT socket per loop with a multishot accept in
/// its ring; a Unix domain socket is one listener with an accept in every loop's ring. Plain TCP only: TLS is refused
/// when the server is made (<see cref="MessageServer"/>).
/// </summary>
internal sealed class UringEngine : Engine
{
    private readonly List<Socket> _listenerSockets = [];
    private readonly List<UringListener> _listeners = [];
    private readonly ILogger _logger;
    private UringLoop[] _loops = [];
    private volatile bool _stopping;

    public UringEngine(MessageServerOptions options, ConnectionServices services)
        : base(options, services)
    {
        _logger = services.Log;
    }

    public override EndPoint Start()
    {
        int loopCount = Options.Loops > 0 ? Options.Loops : Environment.ProcessorCount;
        var loops = new List<UringLoop>(loopCount);
        EndPoint bound;
        try
        {
            for (int i = 0; i < loopCount; i++)
            {
                loops.Add(new UringLoop(i + 1, _logger));
            }

            _loops = [.. loops];
            bound = Listen();
        }
        catch (Exception e)
        {
            foreach (Socket socket in _listenerSockets)
            {
                socket.Dispose();
            }

            foreach (UringLoop loop in loops)
            {
                loop.Dispose();
            }

            if (e is UringUnavailableException)
            {
                throw new InvalidOperationException("The uring engine could not start: " + e.Message + ".", e);
            }

            throw;
        }

        foreach (UringListener listener in _listeners)
        {
            listener.Loop.Post(listener.Arm);
        }

        foreach (UringLoop loop in _loops)
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
    }

    /// <summary>Called on <paramref name="loop"/>'s thread with a freshly accepted, blocking descriptor.</summary>
    public void OnAccepted(UringLoop loop, int fd, EndPoint? remote, EndPoint local)
    {
        ConnectionInfo? info = Services.TryOpen(remote, local);
        if (info is null)
        {
            Services.Refuse(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));
            return;
        }

        var connection = new UringConnection(fd, info, loop, Services);
        connection.Start();
        if (_stopping)
        {
            connection.BeginShutdown();
        }
    }

    private EndPoint Listen()
    {
        EndPoint endPoint = Options.EndPoint;
        if (endPoint is UnixDomainSocketEndPoint)
        {
            Socket shared = Listeners.Listen(endPoint, Options.Backlog);
            _listenerSockets.Add(shared);
            foreach (UringLoop loop in _loops)
            {
                _listeners.Add(new UringListener(shared, loop, this));
            }

            return shared.LocalEndPoint!;
        }

        EndPoint? bound = null;
        foreach (UringLoop loop in _loops)
        {
            // The first bind may pick the port (port 0); the others join that port.
            Socket socket = Listeners.Listen(bound ?? endPoint, Options.Backlog, reusePort: true, joinOwnPort: bound is not null);
            _listenerSockets.Add(socket);
            _listeners.Add(new UringListener(socket, loop, this));
            bound ??= socket.LocalEndPoint!;
        }

        return bound!;
    }
}
