using System.Net;
using System.Net.Sockets;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;

namespace Framewire.Engines.Internal;

/// <summary>
/// What the engines whose connections live on loop threads (selector, uring) share: <see cref="MessageServerOptions.Loops"/>
/// loops; TCP listeners as one SO_REUSEPORT socket per loop, so the kernel spreads connections and no loop hands
/// sockets to another; a Unix domain socket (no SO_REUSEPORT) as one socket every loop accepts on; admission of each
/// accepted descriptor; and the stop, in the same order on every such engine. Each engine brings its loop, its
/// listener and its connection: how it waits for readiness and moves bytes.
/// </summary>
internal abstract class LoopEngine<TLoop, TListener>(MessageServerOptions options, ConnectionServices services) : Engine(options, services)
    where TLoop : IServerLoop
    where TListener : IServerListener
{
    private readonly List<Socket> _listenerSockets = [];
    private readonly List<TListener> _listeners = [];
    private TLoop[] _loops = [];
    private volatile bool _stopping;

    public bool IsStopping => _stopping;

    public override EndPoint Start()
    {
        int loopCount = Options.Loops > 0 ? Options.Loops : Environment.ProcessorCount;
        var loops = new List<TLoop>(loopCount);
        EndPoint bound;
        try
        {
            for (int i = 0; i < loopCount; i++)
            {
                loops.Add(CreateLoop(i + 1));
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

            foreach (TLoop loop in loops)
            {
                loop.Dispose();
            }

            if (DescribeStartFailure(e) is Exception described)
            {
                throw described;
            }

            throw;
        }

        foreach (TListener listener in _listeners)
        {
            listener.StartAccepting();
        }

        foreach (TLoop loop in _loops)
        {
            loop.StartSweeping(Services.Limits.SweepInterval);
            loop.Start();
        }

        return bound;
    }

    /// <summary>
    /// Stops accepting on every loop, closes the listening sockets once no loop holds them, lets each loop drain its
    /// connections within the shutdown timeout, aborts what is left, and disposes the loops.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        ServerLog.Stopping(Services.Log, ConnectionCount);
        using var unregistered = new CountdownEvent(_listeners.Count);
        foreach (TListener listener in _listeners)
        {
            listener.Loop.Post(() => listener.StopAccepting(() => unregistered.Signal()));
        }

        // A listening socket is closed only once no loop watches it, or holds an accept on it, any more.
        await Task.Run(() => unregistered.Wait(Options.ShutdownTimeout), CancellationToken.None).ConfigureAwait(false);
        foreach (Socket socket in _listenerSockets)
        {
            socket.Dispose();
        }

        foreach (TLoop loop in _loops)
        {
            loop.Post(loop.BeginShutdown);
        }

        Task drained = Task.WhenAll(Array.ConvertAll(_loops, loop => loop.Stopped));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.ShutdownTimeout);
        try
        {
            await drained.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ServerLog.AbortingConnections(Services.Log, ConnectionCount);
            foreach (TLoop loop in _loops)
            {
                loop.Post(loop.Abort);
            }

            await drained.ConfigureAwait(false);
        }

        foreach (TLoop loop in _loops)
        {
            loop.Dispose();
        }
    }

    /// <summary>
    /// A freshly accepted descriptor's connection, or null when the server refuses it: over the connection limit, or
    /// stopping; the refusal is answered here. Loop thread.
    /// </summary>
    protected ConnectionInfo? Admit(int fd, EndPoint? remote, EndPoint local)
    {
        ConnectionInfo? info = Services.TryOpen(remote, local);
        if (info is null)
        {
            Services.Refuse(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));
        }

        return info;
    }

    protected abstract TLoop CreateLoop(int id);

    protected abstract TListener CreateListener(Socket socket, TLoop loop);

    /// <summary>What to throw instead of <paramref name="failure"/>, when the engine can say more; null to rethrow it.</summary>
    protected virtual Exception? DescribeStartFailure(Exception failure) => null;

    private EndPoint Listen()
    {
        EndPoint endPoint = Options.EndPoint;
        int backlog = Listeners.Backlog(Options.Backlog, Services.Log);
        if (endPoint is UnixDomainSocketEndPoint)
        {
            Socket shared = Listeners.Listen(endPoint, backlog);
            _listenerSockets.Add(shared);
            foreach (TLoop loop in _loops)
            {
                _listeners.Add(CreateListener(shared, loop));
            }

            return shared.LocalEndPoint!;
        }

        EndPoint? bound = null;
        foreach (TLoop loop in _loops)
        {
            // The first bind may pick the port (port 0); the others join that port.
            Socket socket = Listeners.Listen(bound ?? endPoint, backlog, reusePort: true, joinOwnPort: bound is not null);
            _listenerSockets.Add(socket);
            _listeners.Add(CreateListener(socket, loop));
            bound ??= socket.LocalEndPoint!;
        }

        return bound!;
    }
}
