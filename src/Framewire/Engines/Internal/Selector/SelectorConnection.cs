using System.Buffers;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Framewire.Internal;
using Framewire.Proxy;
using Framewire.Selectors;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// One connection on an event loop, the tutorial's per-socket <c>data</c> grown up: non-blocking reads straight into
/// a buffer taken only while bytes are pending, responses written straight to the socket, and write interest only
/// while output is left over (the tutorial's <c>_set_selector_events_mask</c>). Everything here runs on the loop
/// thread, except pending work, which owns the output until it completes and posts back. A connection from a
/// trusted proxy first delivers its PROXY header, parsed from the same buffer, within the handshake timeout.
/// Timeouts, limits and close reasons are its base <see cref="ConnectionPolicy"/>'s; this class only moves bytes.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Close disposes what the connection owns; every connection ends with it.")]
internal sealed partial class SelectorConnection : ConnectionPolicy, ILoopItem
{
    // One read takes up to this much. 16 KiB holds a burst of 16 pipelined small frames many times over and
    // keeps reads few for larger frames; a partial frame bigger than this grows the buffer up to the frame limit.
    private const int ReadSize = 16 * 1024;

    // A read that fills its buffer means the kernel holds more: the next buffer is twice as large, up to 64 KiB
    // (ReadSize << 2), so a burst of 16 KiB echoes costs one read per burst, as a C server reading into 64 KiB does.
    private const int MaxReadScale = 2;

    private readonly int _fd;
    private readonly EventLoop _loop;
    private readonly ConnectionServices _services;

    // What only some connections ever need (TLS, pending work, a wake from another thread, the close they are
    // draining towards), in one object made at the first need: a plain idle connection holds one null reference for
    // all of it.
    private Rare? _rare;

    // Null until the handshake is over (a trusted proxy's PROXY header, TLS): the application takes the client's
    // addresses the PROXY header gives.
    private ConnectionApplication? _application;

    private ConnectionInfo _info;
    private byte[]? _input;
    private int _inputStart;
    private int _inputEnd;
    private int _outputSent;
    private SelectorEvents _interest;
    private State _state;
    private byte _readScale;
    private bool _peerGone;
    private bool _paused;

    public SelectorConnection(int fd, ConnectionInfo info, EventLoop loop, ConnectionServices services)
        : base(services.Limits, info.Stats)
    {
        _fd = fd;
        _info = info;
        _loop = loop;
        _services = services;
        if (!services.RequiresProxyHeader(info.RemoteEndPoint) && services.Tls is null)
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

    public int Fd => _fd;

    // Made at the first write (CreateTarget), and kept as the base's target only: an echo that the socket takes
    // whole from the read buffer never needs one.
    private PooledBufferWriter? OutputBuffer => (PooledBufferWriter?)CurrentTarget;

    // Null for plain TCP, and until the PROXY header (if any) has come; one of the two when the server has TLS:
    // OpenSSL driven directly when it can be, else an SslStream.
    private LoopTls? TlsStream => _rare?.Tls;

    private OpenSslSession? SslSession => _rare?.Ssl;

    // Wake may make it on another thread while the loop thread does: the first one made is the one kept.
    private Rare RareState => _rare ?? Interlocked.CompareExchange(ref _rare, new Rare(), null) ?? _rare;

    public void Start()
    {
        Restart();
        _loop.Add(this);
        SetInterest(SelectorEvents.Read);
        if (_application is null)
        {
            _info.Stats.SetState(ConnectionState.Handshake);
            if (_services.HandshakeTimeout != Timeout.InfiniteTimeSpan)
            {
                _loop.Schedule(_services.HandshakeTimeout, () =>
                {
                    if (_application is null && _state == State.Open)
                    {
                        Close(TlsStream is null && SslSession is null
                            ? ConnectionServices.ProxyHeaderRefused(_services.HandshakeLate("PROXY header"))
                            : new ConnectionClose(CloseReason.HandshakeFailed, _services.HandshakeLate("TLS handshake")));
                    }
                });
            }

            if (_services.Tls is not null && !_services.RequiresProxyHeader(_info.RemoteEndPoint))
            {
                StartTls(prefix: null);
            }
        }
    }

    /// <summary>
    /// The close the connection is due for, for the loop's sweep; null while it is fine. An open connection is judged
    /// whole; one sending its last bytes only by whether its client takes them. Pending work owns the output, and a
    /// lingering connection has its own timer. Loop thread only.
    /// </summary>
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

    public void OnReady(SelectorEvents events)
    {
        switch (_state)
        {
            case State.Open when TlsStream is not null:
                OnTlsReady(events);
                break;
            case State.Open when SslSession is not null && _application is null:
                ContinueHandshake();
                break;
            case State.Open:
                if ((events & SelectorEvents.Write) != 0 && Flush() && _paused)
                {
                    // The client took its output: go on with the requests read ahead before reading more.
                    Process();
                    ReceiveSslReadAhead();
                    break;
                }

                if ((events & SelectorEvents.Read) != 0 && _state == State.Open)
                {
                    Receive();
                }

                break;
            case State.Closing:
                Flush();
                break;
            case State.Lingering:
                Discard();
                break;
        }
    }

    /// <summary>
    /// Stops taking new input: what the kernel already holds is still read and answered, a frame cut short is
    /// answered with <c>shutting_down</c>, then the connection closes.
    /// </summary>
    public void BeginShutdown()
    {
        MarkShuttingDown();
        if (_state == State.Open && Progress == MessageProgress.None && _inputEnd == _inputStart && PendingOutput == 0 && !OwesAnswers
            && (TlsStream is null || _application is null || TlsStream.UnsentCiphertext == 0))
        {
            // Idle, or still in its TLS handshake: nothing in flight to finish.
            Close(new ConnectionClose(CloseReason.ServerShutdown));
            return;
        }

        _info.Stats.SetState(ConnectionState.Draining);

        // Queued bytes are still returned before the end-of-stream, and level-triggered readiness reports it.
        SocketCalls.ShutdownReceive(_fd);
    }

    public void Abort() => Close(new ConnectionClose(CloseReason.ShutdownTimeout));

    /// <summary>Any thread: the loop calls the application again at its next turn.</summary>
    public override void Wake() => _loop.Post(RareState.OnWake ??= OnWake);

    private int PendingOutput => OutputBuffer is { } output ? output.WrittenCount - _outputSent : 0;

    private void Receive()
    {
        if (SslSession is not null)
        {
            ReceiveSsl();
            return;
        }

        EnsureInputRoom();
        Span<byte> room = _input.AsSpan(_inputEnd);
        int received = SocketCalls.Read(_fd, room);
        if (received > 0)
        {
            if (received == room.Length)
            {
                _readScale = (byte)Math.Min(_readScale + 1, MaxReadScale);
            }
            else if (received <= ReadSize / 2)
            {
                _readScale = 0;
            }

            _inputEnd += received;
            OnReceived(received);
            Process();
            return;
        }

        if (received == 0)
        {
            _peerGone = !IsShuttingDown;
            EndOfInput();
            return;
        }

        int errno = SocketCalls.LastError;
        if (errno is not (SocketCalls.EAGAIN or SocketCalls.EINTR))
        {
            // Reset by the peer, or a failed socket: there is no one left to answer.
            _peerGone = true;
            Close(new ConnectionClose(CloseReason.ReceiveFailed, "errno " + errno));
        }
    }

    private void EnsureInputRoom()
    {
        if (_input is null)
        {
            _input = ArrayPool<byte>.Shared.Rent(ReadSize << _readScale);
            _inputStart = _inputEnd = 0;
        }
        else if (_input.Length - _inputEnd < ReadSize / 4)
        {
            MakeRoom();
        }
    }

    private void MakeRoom()
    {
        int unconsumed = _inputEnd - _inputStart;
        if (_inputStart > 0 && _input!.Length - unconsumed >= ReadSize)
        {
            // Slide the partial frame to the front rather than grow.
            Buffer.BlockCopy(_input, _inputStart, _input, 0, unconsumed);
        }
        else
        {
            // Growth is bounded: the decoder refuses any frame over the limits before its bytes are awaited.
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(unconsumed + ReadSize, _input!.Length * 2));
            Buffer.BlockCopy(_input, _inputStart, larger, 0, unconsumed);
            ArrayPool<byte>.Shared.Return(_input);
            _input = larger;
        }

        _inputStart = 0;
        _inputEnd = unconsumed;
    }

    private void Process()
    {
        if (_application is null && !TakeProxyHeader())
        {
            return;
        }

        while (true)
        {
            // Called without input too: an application may have answers given elsewhere to write.
            var input = _input is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_input, _inputStart, _inputEnd - _inputStart);
            ProcessStatus status = _application!.Process(ref input, this);
            _inputStart = _inputEnd - (int)input.Length;

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
            bool drained = Flush();
            if (_state != State.Open || !_paused)
            {
                return;
            }

            // Held back by the read-ahead limit: go on when the client has taken everything, or when the socket took
            // enough that the output has room again; otherwise wait for writability.
            if (!drained && IsFull)
            {
                return;
            }
        }
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
        if (_services.Tls is not null)
        {
            // What follows the header is the start of the TLS handshake, which reads it first.
            byte[]? prefix = _inputEnd > _inputStart ? _input.AsSpan(_inputStart, _inputEnd - _inputStart).ToArray() : null;
            _inputStart = _inputEnd;
            ReleaseInputIfEmpty();
            StartTls(prefix);
            return false;
        }

        _application = _services.CreateApplication(_info);
        return true;
    }

    private void Freeze() => Freeze(_application!.PendingWork!);

    private void Freeze(Task work)
    {
        // The pending work now owns the output and the request bytes; stop watching the socket until it is done,
        // or level-triggered readiness would spin the loop. Its answer is flushed when it posts back.
        _state = State.Frozen;
        _info.Stats.SetState(ConnectionState.Processing);
        SetInterest(SelectorEvents.None);
        Rare rare = RareState;
        rare.ResumeAfterPending ??= () => _loop.Post(ResumeAfterPending);
        work.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(rare.ResumeAfterPending);
    }

    private void OnWake()
    {
        // Paused, the flush calls the application when the client has caught up; frozen, the work's end does.
        if (_state == State.Open && _application is not null && !_paused)
        {
            Process();
            if (TlsStream is not null)
            {
                PumpTls();
            }

            // Records OpenSSL read ahead while the application waited are not announced by the socket again.
            ReceiveSslReadAhead();
        }
    }

    private void ResumeAfterPending()
    {
        if (_state != State.Frozen)
        {
            return;
        }

        _state = State.Open;
        OnWorkCompleted();

        // The application finishes the work first; watching resumes with the flush, and a shutdown that came
        // meanwhile shows as the end of the stream.
        Process();
        if (TlsStream is not null)
        {
            PumpTls();
        }

        ReceiveSslReadAhead();
    }

    private void EndOfInput()
    {
        if (_application?.AnswersOwed is Task owed)
        {
            // Answers still to come for what was received: they go out first, and the end of the stream, which
            // level-triggered readiness reports again, is taken up after them.
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

    private void ReleaseInputIfEmpty()
    {
        // A TLS read under way fills the buffer beyond what is held: it stays until that read is taken.
        if (_input is not null && _inputStart == _inputEnd && TlsStream is not { IsReading: true, PendingIsWait: false })
        {
            // An idle connection holds no buffer.
            ArrayPool<byte>.Shared.Return(_input);
            _input = null;
            _inputStart = _inputEnd = 0;
            _application?.ReleaseBuffers();
        }
    }

    /// <summary>The state few connections need, out of the way of the idle ones.</summary>
    private sealed class Rare
    {
        public LoopTls? Tls;
        public OpenSslSession? Ssl;
        public Action? OnTlsRead;
        public Action? ResumeAfterPending;
        public Action? OnWake;
        public ConnectionClose Close;

        // Used: set whenever the TLS goes quiet, cleared by the loop's release turn, which frees the record buffers of
        // a connection it finds without it. Held: the connection is in the loop's list of those that keep them.
        public bool SslBuffersUsed;
        public bool SslBuffersHeld;
    }
}
