using System.Net;
using System.Net.Sockets;
using Framewire.Apps;
using Framewire.Engines.Internal.Selector;

namespace Framewire.Engines.Internal.Uring;

/// <summary>
/// A listening socket with one multishot accept in its loop's ring: every connection the kernel accepts arrives as
/// a completion, with no accept call per connection. The request ends on an error or a cancel; transient errors
/// submit it again, resource pressure after a pause, and a stop cancels it and says when it is gone.
/// </summary>
internal sealed class UringListener : IUringItem, IServerListener
{
    // Out of descriptors or memory: closing connections free some within this; accepting at once would fail again.
    private const int BackoffMs = 100;

    private readonly int _fd;
    private readonly UringLoop _loop;
    private readonly UringEngine _engine;
    private readonly EndPoint _localEndPoint;
    private readonly bool _isTcp;
    private readonly int _slot;
    private bool _armed;
    private bool _stopping;
    private Action? _stopped;

    public UringListener(Socket socket, UringLoop loop, UringEngine engine)
    {
        _fd = (int)socket.Handle;
        _loop = loop;
        _engine = engine;
        _localEndPoint = socket.LocalEndPoint!;
        _isTcp = socket.ProtocolType == ProtocolType.Tcp;
        _slot = loop.Add(this);
    }

    public IServerLoop Loop => _loop;

    void IServerListener.StartAccepting() => _loop.Post(Arm);

    /// <summary>Starts accepting. Loop thread.</summary>
    private void Arm()
    {
        if (!_armed && !_stopping)
        {
            _armed = true;
            _loop.SubmitAccept(_slot, _fd);
        }
    }

    /// <summary>Stops accepting; <paramref name="stopped"/> runs once the ring holds no accept of this socket. Loop thread.</summary>
    public void StopAccepting(Action stopped)
    {
        _stopping = true;
        if (!_armed)
        {
            stopped();
            return;
        }

        _stopped = stopped;
        _loop.SubmitCancel(_slot, UringOp.Accept);
    }

    public void OnCompletion(UringOp op, int result, uint flags)
    {
        if (op == UringOp.Cancel)
        {
            return;
        }

        bool more = (flags & UringAbi.CqeFMore) != 0;
        if (!more)
        {
            _armed = false;
        }

        if (result >= 0)
        {
            Accepted(result);
        }

        if (more)
        {
            return;
        }

        if (_stopping)
        {
            _stopped?.Invoke();
            _stopped = null;
            return;
        }

        int errno = result < 0 ? -result : 0;
        switch (errno)
        {
            case 0 or SocketCalls.EINTR or SocketCalls.ECONNABORTED or SocketCalls.EAGAIN:
                // The request ended without a fault of the listener (a full completion queue, a client that gave up).
                Arm();
                break;
            case SocketCalls.EMFILE or SocketCalls.ENFILE or SocketCalls.ENOBUFS or SocketCalls.ENOMEM:
                ServerLog.AcceptRetry(_engine.Services.Log, "errno " + errno, BackoffMs);
                _loop.Schedule(TimeSpan.FromMilliseconds(BackoffMs), Arm);
                break;
            default:
                ServerLog.AcceptFailed(_engine.Services.Log, Endpoints.Format(_localEndPoint), new IOException(System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)));
                break;
        }
    }

    private void Accepted(int fd)
    {
        if (_isTcp)
        {
            SocketCalls.SetNoDelay(fd);
        }

        Span<byte> address = stackalloc byte[SocketAddresses.MaxLength];
        EndPoint? remote = UringCalls.PeerName(fd, address, out int length) == 0
            ? SocketAddresses.Parse(address[..Math.Min(length, address.Length)])
            : null;
        _engine.OnAccepted(_loop, fd, remote, _localEndPoint);
    }
}
