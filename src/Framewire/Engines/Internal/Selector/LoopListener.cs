using System.Net;
using System.Net.Sockets;
using Framewire.Apps;
using Framewire.Selectors;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// A listening socket registered with one loop for reading: when it is ready, accept until the backlog is empty
/// (EAGAIN), where the tutorial's <c>accept_wrapper</c> takes one connection per event; a storm of reconnecting clients
/// then costs one readiness per batch, not one per connection. Errors are sorted: transient ones (that connection
/// only) go on to the next, resource pressure (descriptors, kernel memory) pauses accepting for a moment while the
/// connections open are still served, and anything else stops this listener, loudly.
/// </summary>
internal sealed class LoopListener : ILoopItem, IServerListener
{
    private readonly Socket _socket;
    private readonly int _fd;
    private readonly EventLoop _loop;
    private readonly SelectorEngine _engine;
    private readonly EndPoint _localEndPoint;
    private readonly bool _isTcp;
    private bool _paused;

    public LoopListener(Socket socket, EventLoop loop, SelectorEngine engine)
    {
        _socket = socket;
        _fd = (int)socket.Handle;
        _loop = loop;
        _engine = engine;
        _localEndPoint = socket.LocalEndPoint!;
        _isTcp = socket.ProtocolType == ProtocolType.Tcp;
    }

    public IServerLoop Loop => _loop;

    void IServerListener.StartAccepting() => Register();

    public void Register()
    {
        _loop.Poller.Own(_fd, this);
        _loop.Poller.Watch(_fd, SelectorEvents.None, SelectorEvents.Read);
    }

    /// <summary>Stops accepting on this loop. The socket is closed by its owner once every loop has let go.</summary>
    public void StopAccepting(Action stopped)
    {
        Unregister();
        stopped();
    }

    public void OnReady(SelectorEvents events)
    {
        Span<byte> address = stackalloc byte[SocketAddresses.MaxLength];
        while (true)
        {
            int fd = SocketCalls.Accept(_fd, address, out int length);
            if (fd >= 0)
            {
                if (_isTcp)
                {
                    SocketCalls.SetNoDelay(fd);
                }

                EndPoint? remote = SocketAddresses.Parse(address[..Math.Min(length, address.Length)]);
                _engine.OnAccepted(_loop, fd, remote, _localEndPoint);
                continue;
            }

            int errno = SocketCalls.LastError;
            switch (errno)
            {
                case SocketCalls.EAGAIN:
                    // The backlog is empty (or another loop sharing this socket took the connection).
                    return;
                case SocketCalls.EINTR or SocketCalls.ECONNABORTED or SocketCalls.EPERM
                    or SocketCalls.EPROTO or SocketCalls.ENOPROTOOPT or SocketCalls.EOPNOTSUPP
                    or SocketCalls.ENETDOWN or SocketCalls.ENETUNREACH or SocketCalls.EHOSTDOWN or SocketCalls.EHOSTUNREACH or SocketCalls.ENONET:
                    // Transient, and only this connection's: the client gave up before we accepted it, a firewall rule
                    // refused it, or (accept(2)) a network error already pending on it. The others are still queued.
                    continue;
                case SocketCalls.EMFILE or SocketCalls.ENFILE or SocketCalls.ENOBUFS or SocketCalls.ENOMEM:
                    // Out of descriptors or memory: stop listening for a moment so closing connections free
                    // some; a level-triggered listener would otherwise spin on the pending connection.
                    const int BackoffMs = 100;
                    ServerLog.AcceptRetry(_engine.Services.Log, "errno " + errno, BackoffMs);
                    Unregister();
                    _loop.Schedule(TimeSpan.FromMilliseconds(BackoffMs), Resume);
                    return;
                default:
                    ServerLog.AcceptFailed(_engine.Services.Log, Endpoints.Format(_localEndPoint), new IOException(System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)));
                    Unregister();
                    return;
            }
        }
    }

    private void Unregister()
    {
        if (!_paused)
        {
            _loop.Poller.Watch(_fd, SelectorEvents.Read, SelectorEvents.None);
            _loop.Poller.Release(_fd);
            _paused = true;
        }
    }

    private void Resume()
    {
        if (_paused && !_engine.IsStopping)
        {
            _paused = false;
            Register();
        }
    }
}
