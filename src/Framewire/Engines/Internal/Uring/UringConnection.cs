using System.Buffers;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Framewire.Engines.Internal.Selector;
using Framewire.Internal;
using Framewire.Proxy;

namespace Framewire.Engines.Internal.Uring;

/// <summary>
/// One connection on an io_uring loop. A multishot receive stays in the ring while the connection reads: each arrival
/// is a completion naming a provided buffer, which the application processes in place; only what it leaves (a
/// partial frame, input held back) is copied into the connection's own buffer, so an idle connection holds none.
/// Output goes out one send at a time: while one is in the ring, the application writes into the other of two
/// buffers, which goes next. A receive is cancelled only once input arrives that must not be read yet (held back by
/// the read-ahead limit, pending work, a client that does not read its answers), and submitted again when the
/// connection reads on. Timeouts, limits and close reasons are its base <see cref="ConnectionPolicy"/>'s.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Close disposes what the connection owns; every connection ends with it.")]
internal sealed unsafe partial class UringConnection : ConnectionPolicy, IUringItem
{
    // What the connection keeps of its input starts at one receive buffer, as the selector engine's read.
    private const int KeepSize = BufferRing.BufferSize;

    private readonly int _fd;
    private readonly UringLoop _loop;
    private readonly ConnectionServices _services;
    private readonly int _slot;

    // The application writes into _output; _sending is what the send in the ring reads, pinned while it does.
    private PooledBufferWriter _output;
    private PooledBufferWriter _sending;
    private MemoryHandle _sendPin;
    private int _sendOffset;

    // Made at the first need: most connections never have pending work or run out of receive buffers.
    private Action? _resumeAfterPending;
    private Action? _onWake;
    private Action? _receiveAgain;

    // Null until a trusted proxy's PROXY header has come.
    private ConnectionApplication? _application;
    private ConnectionInfo _info;
    private byte[]? _input;
    private int _inputStart;
    private int _inputEnd;

    // What pending work may still read: the receive buffer or array it was given its request in.
    private byte[]? _lentInput;
    private int _lentBuffer = -1;

    // The receive buffer the application is processing in place, and the one an echo is sent from while its send is
    // in the ring: that buffer goes back to the kernel once the send is done, not when the application returns.
    private int _processingBuffer = -1;
    private int _directBuffer = -1;
    private byte* _directAddress;
    private int _directLength;

    private int _requests;
    private bool _receiving;
    private bool _cancellingReceive;
    private bool _sendInFlight;
    private bool _starved;
    private State _state;
    private bool _peerGone;
    private bool _paused;
    private ConnectionClose _close;

    public UringConnection(int fd, ConnectionInfo info, UringLoop loop, ConnectionServices services)
        : base(services.Limits, info.Stats)
    {
        _fd = fd;
        _info = info;
        _loop = loop;
        _services = services;
        _slot = loop.Add(this);
        _output = new PooledBufferWriter(pool: loop.Pool);
        _sending = new PooledBufferWriter(pool: loop.Pool);
        Target = _output;
        if (!services.RequiresProxyHeader(info.RemoteEndPoint))
        {
            _application = services.CreateApplication(info);
        }
    }

    private enum State
    {
        Open,
        Frozen,
        Closing,
        Lingering,
        Closed,
    }

    private int PendingOutput => _output.WrittenCount + (_directBuffer >= 0 ? _directLength : _sending.WrittenCount) - _sendOffset;

    public void Start()
    {
        Restart();
        _loop.Track(this);
        if (_application is null)
        {
            _info.Stats.SetState(ConnectionState.Handshake);
            if (_services.HandshakeTimeout != Timeout.InfiniteTimeSpan)
            {
                _loop.Schedule(_services.HandshakeTimeout, () =>
                {
                    if (_application is null && _state == State.Open)
                    {
                        Close(ConnectionServices.ProxyHeaderRefused(_services.HandshakeLate("PROXY header")));
                    }
                });
            }
        }

        UpdateReceive();
    }

    /// <summary>The close the connection is due for, for the loop's sweep; null while it is fine. Loop thread only.</summary>
    public ConnectionClose? Due(long now) => _state switch
    {
        State.Open => Check(now, applicationBusy: false),
        State.Closing => Check(now, applicationBusy: true),
        _ => null,
    };

    /// <summary>Closes a connection <see cref="Due"/> found due; a message it cuts short is answered first.</summary>
    public void Expire(ConnectionClose due)
    {
        if (due.Reason == CloseReason.SlowConsumer)
        {
            // It does not read, so neither an error frame nor a graceful close would reach it.
            _peerGone = true;
            Close(due);
            return;
        }

        if (_application is not null)
        {
            CutShort(_application, due.Reason);
        }

        _inputStart = _inputEnd;
        ReleaseInputIfEmpty();
        BeginClosing(due);
    }

    /// <summary>Stops taking new input: what the kernel already holds is still read and answered, then the connection closes.</summary>
    public void BeginShutdown()
    {
        MarkShuttingDown();
        if (_state == State.Open && Progress == MessageProgress.None && _inputEnd == _inputStart && PendingOutput == 0 && !OwesAnswers)
        {
            Close(new ConnectionClose(CloseReason.ServerShutdown));
            return;
        }

        _info.Stats.SetState(ConnectionState.Draining);

        // Queued bytes are still received before the end of the stream, which wakes the receive in the ring.
        SocketCalls.ShutdownReceive(_fd);
    }

    public void Abort() => Close(new ConnectionClose(CloseReason.ShutdownTimeout));

    /// <summary>Any thread: the loop calls the application again at its next turn.</summary>
    public override void Wake() => _loop.Post(_onWake ??= OnWake);

    public void OnCompletion(UringOp op, int result, uint flags)
    {
        switch (op)
        {
            case UringOp.Receive:
                OnReceive(result, flags);
                break;
            case UringOp.Send:
                OnSent(result);
                break;
            default:
                _requests--;
                break;
        }

        FreeSlotWhenDone();
    }

    /// <summary>True while the connection reads: open and not held back, or lingering to discard.</summary>
    private bool WantsInput => _state switch
    {
        // A client that does not take its output stops being read (backpressure), as the selector engine does.
        State.Open => !_paused && !(_sendInFlight && Unsent >= _limits.SendHighWater),
        State.Lingering => true,
        _ => false,
    };

    private void UpdateReceive()
    {
        if (!_receiving && !_starved && WantsInput)
        {
            _receiving = true;
            _requests++;
            _loop.SubmitReceive(_slot, _fd);
        }
    }

    private void CancelReceive()
    {
        if (_receiving && !_cancellingReceive)
        {
            _cancellingReceive = true;
            _requests++;
            _loop.SubmitCancel(_slot, UringOp.Receive);
        }
    }

    private void OnReceive(int result, uint flags)
    {
        bool more = (flags & UringAbi.CqeFMore) != 0;
        if (!more)
        {
            _receiving = false;
            _cancellingReceive = false;
            _requests--;
        }

        if (result > 0)
        {
            Received((ushort)(flags >> UringAbi.CqeBufferShift), result);
            if (!more)
            {
                UpdateReceive();
            }

            return;
        }

        if ((flags & UringAbi.CqeFBuffer) != 0)
        {
            // A completion without data holds no bytes, but may still have taken a buffer.
            _loop.Buffers.Recycle((ushort)(flags >> UringAbi.CqeBufferShift));
        }

        if (result == 0)
        {
            // The end of the stream; seen again by the next receive while the connection is not reading.
            if (_state == State.Open && !_paused)
            {
                _peerGone = !IsShuttingDown;
                EndOfInput();
            }
            else if (_state == State.Lingering)
            {
                Close(_close);
            }
        }
        else if (result == -UringCalls.ENOBUFS)
        {
            // Every provided buffer is taken: receive again once the loop has handed some back.
            _starved = true;
            _receiveAgain ??= () =>
            {
                _starved = false;
                UpdateReceive();
            };
            _loop.Schedule(TimeSpan.FromMilliseconds(1), _receiveAgain);
        }
        else if (result != -UringCalls.ECANCELED)
        {
            if (_state == State.Lingering)
            {
                Close(_close);
            }
            else
            {
                // Reset by the peer, or a failed socket: there is no one left to answer.
                _peerGone = true;
                Close(new ConnectionClose(CloseReason.ReceiveFailed, "errno " + -result));
            }
        }

        if (!more)
        {
            UpdateReceive();
        }
    }

    private void Received(ushort id, int length)
    {
        BufferRing buffers = _loop.Buffers;
        if (_state is State.Open or State.Frozen)
        {
            OnReceived(length);
        }

        if (_state == State.Open && !_paused && _application is not null && _input is null)
        {
            ProcessBuffer(id, length);
            return;
        }

        if (_state is State.Open or State.Frozen)
        {
            Keep(buffers.Slab.AsSpan(id * BufferRing.BufferSize, length));
        }

        buffers.Recycle(id);
        if (_state == State.Open && !_paused)
        {
            Process();
        }
        else if (!WantsInput)
        {
            CancelReceive();
        }
    }

    /// <summary>The fast path: the application takes its input straight from the receive buffer.</summary>
    private void ProcessBuffer(ushort id, int length)
    {
        byte[] slab = _loop.Buffers.Slab;
        int offset = id * BufferRing.BufferSize;
        var input = new ReadOnlySequence<byte>(slab, offset, length);
        _processingBuffer = id;
        ProcessStatus status = _application!.Process(ref input, this);
        _processingBuffer = -1;
        int left = (int)input.Length;
        if (left > 0)
        {
            Keep(slab.AsSpan(offset + length - left, left));
        }

        if (status == ProcessStatus.Pending)
        {
            // The pending work may still read the request it took from this buffer.
            _lentBuffer = id;
        }
        else if (_directBuffer != id)
        {
            _loop.Buffers.Recycle(id);
        }

        AfterApplication(status);
    }

    private void Process()
    {
        if (_application is null && (_input is null || !TakeProxyHeader()))
        {
            return;
        }

        if (_input is null)
        {
            // Nothing kept (pending work took its request straight from a receive buffer): the call finishes the work.
            ReadOnlySequence<byte> none = ReadOnlySequence<byte>.Empty;
            AfterApplication(_application!.Process(ref none, this));
            return;
        }

        var input = new ReadOnlySequence<byte>(_input, _inputStart, _inputEnd - _inputStart);
        ProcessStatus status = _application!.Process(ref input, this);
        _inputStart = _inputEnd - (int)input.Length;
        if (status == ProcessStatus.Pending)
        {
            // The pending work may still read the request it took from this array: it keeps it, and what is
            // left moves to a new one, which input arriving meanwhile may grow.
            byte[] taken = _input;
            int start = _inputStart, end = _inputEnd;
            _input = null;
            _inputStart = _inputEnd = 0;
            _lentInput = taken;
            if (end > start)
            {
                Keep(taken.AsSpan(start, end - start));
            }
        }

        AfterApplication(status);
    }

    private void AfterApplication(ProcessStatus status)
    {
        AfterProcess(status, _application!.GetProgress(_inputEnd > _inputStart));
        if (status == ProcessStatus.Pending)
        {
            Freeze();
            return;
        }

        ReleaseInputIfEmpty();
        if (status == ProcessStatus.Close)
        {
            BeginClosing(ConnectionClose.Refused(_application.CloseError));
            return;
        }

        _paused = status == ProcessStatus.Paused;
        Flush();
        UpdateReceive();
    }

    /// <summary>
    /// Parses the PROXY header from what was received so far; true once it is taken and the application made.
    /// The parser decides by <see cref="ProxyHeaderParser.MaxLength"/> bytes at the latest, which bounds the buffer.
    /// </summary>
    private bool TakeProxyHeader()
    {
        var input = new ReadOnlySequence<byte>(_input!, _inputStart, _inputEnd - _inputStart);
        ProxyParseStatus status = ProxyHeaderParser.Parse(input, out ProxyHeader header, out string? error);
        if (status == ProxyParseStatus.NeedMoreData)
        {
            return false;
        }

        if (status == ProxyParseStatus.Invalid)
        {
            Close(ConnectionServices.ProxyHeaderRefused(error!));
            return false;
        }

        _inputStart += header.Length;
        _info = _services.AfterProxyHeader(_info, header);
        _application = _services.CreateApplication(_info);
        return true;
    }

    private void Freeze() => Freeze(_application!.PendingWork!);

    private void Freeze(Task work)
    {
        // The pending work now owns the output; it is flushed when the work posts back.
        _state = State.Frozen;
        _info.Stats.SetState(ConnectionState.Processing);
        _resumeAfterPending ??= () => _loop.Post(ResumeAfterPending);
        work.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_resumeAfterPending);
    }

    private void OnWake()
    {
        // Paused, the drain calls the application when the client has caught up; frozen, the work's end does.
        if (_state == State.Open && _application is not null && !_paused)
        {
            Process();
        }
    }

    private void ResumeAfterPending()
    {
        byte[]? lentInput = _lentInput;
        int lentBuffer = _lentBuffer;
        _lentInput = null;
        _lentBuffer = -1;
        if (_state == State.Frozen)
        {
            _state = State.Open;
            OnWorkCompleted();

            // The application finishes the work first; only then are the bytes it was given free.
            Process();
        }

        if (lentInput is not null)
        {
            _loop.Pool.Return(lentInput);
        }

        if (lentBuffer >= 0 && lentBuffer != _directBuffer)
        {
            // A send from the same buffer still in the ring hands it back when it is done.
            _loop.Buffers.Recycle((ushort)lentBuffer);
        }
    }

    private void EndOfInput()
    {
        if (_application?.AnswersOwed is Task owed)
        {
            // Answers still to come for what was received: they go out first, and the end of the stream, which the
            // next receive reports again, is taken up after them.
            Freeze(owed);
            return;
        }

        var ended = new ConnectionClose(IsShuttingDown ? CloseReason.ServerShutdown : CloseReason.ClosedByPeer);
        if (_application is not null)
        {
            CutShort(_application, ended.Reason);
        }

        _inputStart = _inputEnd;
        ReleaseInputIfEmpty();
        BeginClosing(ended);
    }

    /// <summary>Appends received bytes to the connection's own buffer, sliding or growing it as needed.</summary>
    private void Keep(ReadOnlySpan<byte> bytes)
    {
        if (_input is null)
        {
            _input = _loop.Pool.Rent(Math.Max(KeepSize, bytes.Length));
            _inputStart = _inputEnd = 0;
        }
        else if (_input.Length - _inputEnd < bytes.Length)
        {
            int unconsumed = _inputEnd - _inputStart;
            if (_input.Length - unconsumed >= bytes.Length)
            {
                Buffer.BlockCopy(_input, _inputStart, _input, 0, unconsumed);
            }
            else
            {
                // Growth is bounded: the decoder refuses any frame over the limits before its bytes are awaited, and
                // input held back stops the receive.
                byte[] larger = _loop.Pool.Rent(Math.Max(unconsumed + bytes.Length, _input.Length * 2));
                Buffer.BlockCopy(_input, _inputStart, larger, 0, unconsumed);
                _loop.Pool.Return(_input);
                _input = larger;
            }

            _inputStart = 0;
            _inputEnd = unconsumed;
        }

        bytes.CopyTo(_input.AsSpan(_inputEnd));
        _inputEnd += bytes.Length;
    }

    private void ReleaseInputIfEmpty()
    {
        if (_input is not null && _inputStart == _inputEnd)
        {
            // An idle connection holds no buffer.
            _loop.Pool.Return(_input);
            _input = null;
            _inputStart = _inputEnd = 0;
            _application?.ReleaseBuffers();
        }
    }

    /// <summary>
    /// Once closed and without a request in the ring, closes the socket and frees the slot. Not before: a submission
    /// names its socket by number, and one still queued for a number that was closed would act on whatever socket
    /// another thread opened under that number meanwhile.
    /// </summary>
    private void FreeSlotWhenDone()
    {
        if (_state == State.Closed && _requests == 0 && !_slotFreed)
        {
            _slotFreed = true;
            SocketCalls.Close(_fd);
            _loop.Free(_slot);
        }
    }
}
