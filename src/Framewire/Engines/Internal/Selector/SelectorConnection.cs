using System.Buffers;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Framewire.Internal;
using Framewire.Proxy;
using Framewire.Selectors;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// One connection on an event loop, the seed's per-socket <c>data</c> grown up: non-blocking reads straight into a
/// buffer taken only while bytes are pending, responses written straight to the socket, and write interest only
/// while output is left over (the seed's <c>_set_selector_events_mask</c>). Everything here runs on the loop
/// thread, except a pending handler, which owns the output until it completes and posts back. A connection from a
/// trusted proxy first delivers its PROXY header, parsed from the same buffer, within the handshake timeout.
/// </summary>
internal sealed class SelectorConnection : LoopItem
{
    // One read takes up to this much. 16 KiB holds a burst of 16 pipelined small frames many times over and
    // keeps reads few for larger frames; a partial frame bigger than this grows the buffer up to the frame limit.
    private const int ReadSize = 16 * 1024;

    private readonly int _fd;
    private readonly EventLoop _loop;
    private readonly SelectorEngine _engine;
    private ConnectionApplication _protocol;
    private readonly PooledBufferWriter _output = new();
    private readonly Action _resumeAfterPending;
    private byte[]? _input;
    private int _inputStart;
    private int _inputEnd;
    private int _outputSent;
    private SelectorEvents _interest;
    private State _state;
    private bool _shuttingDown;
    private bool _peerClosed;
    private bool _awaitingProxyHeader;
    private bool _paused;
    private string _closeReason = "closed";

    // Environment.TickCount64 of the last received bytes (or of a handler's completion), and of the first byte of a
    // frame header still incomplete (0: none): what the loop's sweep checks the timeouts against.
    private long _lastActivity;
    private long _headerSince;

    // Since when a frame's content has been awaited and how much of it came since (the minimum data rate for
    // input), and since when output has been stuck in our buffer with how much of it the client took since then
    // (the same rate for output). 0: no transfer under way.
    private long _contentSince;
    private long _contentReceived;
    private long _sendSince;
    private int _sentAtStall;

    public SelectorConnection(int fd, ConnectionInfo info, EventLoop loop, SelectorEngine engine)
    {
        _fd = fd;
        Info = info;
        _loop = loop;
        _engine = engine;
        _awaitingProxyHeader = ProxyTrust.IsTrusted(engine.TrustedProxies, info.RemoteEndPoint);
        _protocol = _awaitingProxyHeader ? AwaitingProxyHeader.Instance : engine.CreateProtocol(info);
        _resumeAfterPending = () => _loop.Post(ResumeAfterPending);
    }

    private enum State
    {
        Open,
        Frozen,
        Closing,
        Lingering,
        Closed,
    }

    /// <summary>The connection as handlers see it: after a PROXY header, with the client's addresses it gave.</summary>
    public ConnectionInfo Info { get; private set; }

    public void Start()
    {
        _lastActivity = Environment.TickCount64;
        _loop.Add(this);
        SetInterest(SelectorEvents.Read);
        if (_awaitingProxyHeader)
        {
            Info.Stats.SetState(ConnectionState.Handshake);
            _loop.Schedule(_engine.HandshakeTimeout, () =>
            {
                if (_awaitingProxyHeader && _state == State.Open)
                {
                    RefuseProxy($"no PROXY header within {_engine.HandshakeTimeout.TotalSeconds:0.###} s");
                }
            });
        }
    }

    /// <summary>True when the connection is past the frame timeout, or idle past the idle timeout. Loop thread only.</summary>
    public bool IsExpired(long now)
    {
        ConnectionLimits limits = _engine.Limits;
        return _state == State.Open &&
            (limits.IsFrameExpired(_headerSince, now) || limits.IsTooSlow(_contentSince, _contentReceived, now) ||
             IsSlowConsumer(now) || (PendingOutput == 0 && limits.IsIdleExpired(_lastActivity, now)));
    }

    /// <summary>Closes a connection <see cref="IsExpired"/> found overdue; a late frame header is answered first.</summary>
    public void OnExpired(long now)
    {
        if (_state != State.Open)
        {
            return;
        }

        if (_engine.Limits.IsFrameExpired(_headerSince, now))
        {
            _headerSince = 0;
            _protocol.OnFrameTimeout(_output);
            _inputStart = _inputEnd;
            ReleaseInputIfEmpty();
            _closeReason = "frame timeout";
        }
        else if (_engine.Limits.IsTooSlow(_contentSince, _contentReceived, now))
        {
            _contentSince = 0;
            _protocol.OnDataRateTooLow(_output);
            _inputStart = _inputEnd;
            ReleaseInputIfEmpty();
            _closeReason = "data rate too low";
        }
        else if (IsSlowConsumer(now))
        {
            CloseSlowConsumer("read slower than the minimum data rate");
            return;
        }
        else
        {
            _closeReason = "idle timeout";
        }

        BeginClosing();
    }

    public override void OnReady(SelectorEvents events)
    {
        switch (_state)
        {
            case State.Open:
                if ((events & SelectorEvents.Write) != 0 && Flush() && _paused)
                {
                    // The client took its output: go on with the requests read ahead before reading more.
                    Process();
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
        _shuttingDown = true;
        if (_state == State.Open && !_protocol.HasPartialMessage && _inputEnd == _inputStart && PendingOutput == 0)
        {
            // Idle: nothing in flight to finish.
            Close("server shutdown");
            return;
        }

        Info.Stats.SetState(ConnectionState.Draining);

        // Queued bytes are still returned before the end-of-stream, and level-triggered readiness reports it.
        SocketCalls.ShutdownReceive(_fd);
    }

    public void Abort()
    {
        if (_state != State.Closed)
        {
            Close("aborted at shutdown timeout");
        }
    }

    private int PendingOutput => _output.WrittenCount - _outputSent;

    /// <summary>
    /// True when the client took its output slower than the minimum rate over the last grace period. The window
    /// moves on while the rate holds, so what the socket took at first cannot hide a client that stopped reading.
    /// </summary>
    private bool IsSlowConsumer(long now)
    {
        ConnectionLimits limits = _engine.Limits;
        if (PendingOutput == 0 || _sendSince == 0)
        {
            return false;
        }

        if (limits.IsTooSlow(_sendSince, _outputSent - _sentAtStall, now))
        {
            return true;
        }

        if (limits.GracePeriodMs > 0 && now - _sendSince >= limits.GracePeriodMs)
        {
            _sendSince = now;
            _sentAtStall = _outputSent;
        }

        return false;
    }

    private void Receive()
    {
        if (_input is null)
        {
            _input = ArrayPool<byte>.Shared.Rent(ReadSize);
            _inputStart = _inputEnd = 0;
        }
        else if (_input.Length - _inputEnd < ReadSize / 4)
        {
            MakeRoom();
        }

        int received = SocketCalls.Read(_fd, _input.AsSpan(_inputEnd));
        if (received > 0)
        {
            _lastActivity = Environment.TickCount64;
            _inputEnd += received;
            Info.Stats.AddBytesReceived(received);
            _contentReceived += received;
            Process();
            return;
        }

        if (received == 0)
        {
            _peerClosed = !_shuttingDown;
            EndOfInput();
            return;
        }

        int errno = SocketCalls.LastError;
        if (errno is not (SocketCalls.EAGAIN or SocketCalls.EINTR))
        {
            // Reset by the peer, or a failed socket: there is no one left to answer.
            _peerClosed = true;
            Close("receive failed: errno " + errno);
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
        if (_awaitingProxyHeader && !TakeProxyHeader())
        {
            return;
        }

        while (true)
        {
            ProcessStatus status = ProcessStatus.NeedMoreData;
            if (_input is not null)
            {
                var input = new ReadOnlySequence<byte>(_input, _inputStart, _inputEnd - _inputStart);
                _protocol.OnOutputUnsent(PendingOutput);
                status = _protocol.Process(ref input, _output);
                _inputStart = _inputEnd - (int)input.Length;
            }

            if (status == ProcessStatus.Pending)
            {
                _headerSince = 0;
                Freeze();
                return;
            }

            // Input held back by the read-ahead limit is whole frames waiting on the client, not a late header.
            if (status == ProcessStatus.Paused || !_protocol.IsAwaitingHeader(_inputEnd > _inputStart))
            {
                _headerSince = 0;
            }
            else if (_headerSince == 0)
            {
                _headerSince = Environment.TickCount64;
            }

            if (!_protocol.HasPartialMessage)
            {
                _contentSince = 0;
            }
            else if (_contentSince == 0)
            {
                _contentSince = Environment.TickCount64;
                _contentReceived = 0;
            }

            ReleaseInputIfEmpty();
            if (status == ProcessStatus.Close)
            {
                _closeReason = _protocol.CloseReason.ToString();
                BeginClosing();
                return;
            }

            _paused = status == ProcessStatus.Paused;
            bool drained = Flush();
            if (_state != State.Open || !_paused)
            {
                return;
            }

            // Held back by the read-ahead limit: go on when the client has taken everything, or when the socket took
            // enough that the output is below the high water mark again; otherwise wait for writability.
            ConnectionLimits limits = _engine.Limits;
            if (!drained && (PendingOutput >= limits.SendHighWater || _protocol.UnsentResponses >= limits.MaxInFlight))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Parses the PROXY header from what was received so far; true once it is taken and the real protocol made.
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
            RefuseProxy(error!);
            return false;
        }

        _inputStart += header.Length;
        _awaitingProxyHeader = false;
        if (header.Source is not null)
        {
            // LOCAL (a health check) and UNKNOWN carry no client: the proxy's own addresses stay.
            ConnectionInfo proxied = Info.WithEndPoints(header.Source, header.Destination ?? Info.LocalEndPoint);
            if (_engine.Log.IsEnabled(LogLevel.Debug))
            {
                ServerLog.Proxied(_engine.Log, Info.Id, Endpoints.Format(Info.RemoteEndPoint), Endpoints.Format(proxied.RemoteEndPoint));
            }

            Info = proxied;
        }

        _protocol = _engine.CreateProtocol(Info);
        return true;
    }

    /// <summary>A trusted proxy's connection without a valid header: closed without an answer, as the async engine does.</summary>
    private void RefuseProxy(string reason)
    {
        _inputStart = _inputEnd;
        ReleaseInputIfEmpty();
        _closeReason = "PROXY header required from a trusted proxy: " + reason;
        BeginClosing();
    }

    private void Freeze()
    {
        // The handler now owns the output and the request bytes; stop watching the socket until it is done,
        // or level-triggered readiness would spin the loop. Its answer is flushed when it posts back.
        _state = State.Frozen;
        Info.Stats.SetState(ConnectionState.Processing);
        SetInterest(SelectorEvents.None);
        _protocol.PendingTask!.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_resumeAfterPending);
    }

    private void ResumeAfterPending()
    {
        if (_state != State.Frozen)
        {
            return;
        }

        _state = State.Open;
        _lastActivity = Environment.TickCount64;
        _protocol.CompletePending();

        // Watching resumes with the flush; a shutdown that came meanwhile shows as the end of the stream.
        Process();
    }

    private void EndOfInput()
    {
        _protocol.OnEndOfInput(_inputEnd > _inputStart, _shuttingDown, _output);
        _inputStart = _inputEnd;
        ReleaseInputIfEmpty();
        _closeReason = _shuttingDown ? "server shutdown" : "closed by peer";
        BeginClosing();
    }

    private void BeginClosing()
    {
        _state = State.Closing;
        Info.Stats.SetState(ConnectionState.Draining);
        Flush();
    }

    /// <summary>Sends what it can; true when all output is sent and the connection still open.</summary>
    private bool Flush()
    {
        while (PendingOutput > 0)
        {
            int sent = SocketCalls.Send(_fd, _output.WrittenSpan[_outputSent..]);
            if (sent > 0)
            {
                _outputSent += sent;
                Info.Stats.AddBytesSent(sent);
                continue;
            }

            int errno = SocketCalls.LastError;
            if (errno == SocketCalls.EINTR)
            {
                continue;
            }

            if (errno == SocketCalls.EAGAIN)
            {
                if (_sendSince == 0)
                {
                    _sendSince = Environment.TickCount64;
                    _sentAtStall = _outputSent;
                }

                if (_state == State.Open && PendingOutput > _engine.Limits.SendLimit && _protocol.UnsentResponses > 1)
                {
                    CloseSlowConsumer("unsent output passed the send limit");
                    return false;
                }

                if (_state == State.Open)
                {
                    Info.Stats.SetState(ConnectionState.Writing);
                }

                // The socket buffer is full: wait for writability, and read on only while the client is less than
                // the high water mark behind (backpressure); requests held back by the read-ahead limit come first.
                SetInterest(_paused || PendingOutput >= _engine.Limits.SendHighWater ? SelectorEvents.Write : SelectorEvents.Read | SelectorEvents.Write);
                return false;
            }

            _peerClosed = true;
            Close("send failed: errno " + errno);
            return false;
        }

        _output.Release();
        _outputSent = 0;
        _sendSince = 0;
        _protocol.OnOutputDrained();
        if (_state == State.Closing)
        {
            FinishClosing();
            return false;
        }

        Info.Stats.SetState(_shuttingDown ? ConnectionState.Draining
            : _inputEnd > _inputStart || _protocol.HasPartialMessage ? ConnectionState.Reading : ConnectionState.Idle);
        SetInterest(SelectorEvents.Read);
        return true;
    }

    private void CloseSlowConsumer(string detail)
    {
        _engine.OnSlowConsumer(Info.Id, detail);

        // It does not read, so neither an error frame nor a graceful close would reach it.
        _peerClosed = true;
        Close("slow consumer");
    }

    private void FinishClosing()
    {
        if (_peerClosed)
        {
            Close(_closeReason);
            return;
        }

        // We close first: send FIN, then discard what the peer still sends for a short while, so the kernel does
        // not answer unread bytes with a reset that could destroy the error frame we just sent.
        SocketCalls.ShutdownSend(_fd);
        _state = State.Lingering;
        SetInterest(SelectorEvents.Read);
        _loop.Schedule(_engine.LingerTimeout, () =>
        {
            if (_state == State.Lingering)
            {
                Close(_closeReason);
            }
        });
    }

    private void Discard()
    {
        Span<byte> sink = stackalloc byte[4096];
        int received = SocketCalls.Read(_fd, sink);
        if (received > 0 || (received < 0 && SocketCalls.LastError is SocketCalls.EAGAIN or SocketCalls.EINTR))
        {
            return;
        }

        Close(_closeReason);
    }

    private void ReleaseInputIfEmpty()
    {
        if (_input is not null && _inputStart == _inputEnd)
        {
            // An idle connection holds no buffer.
            ArrayPool<byte>.Shared.Return(_input);
            _input = null;
            _inputStart = _inputEnd = 0;
            _protocol.ReleaseBuffers();
        }
    }

    /// <summary>Changes what the selector watches for; <see cref="SelectorEvents.None"/> unregisters.</summary>
    private void SetInterest(SelectorEvents events)
    {
        if (events == _interest)
        {
            return;
        }

        if (events == SelectorEvents.None)
        {
            _loop.Selector.Unregister(_fd);
        }
        else if (_interest == SelectorEvents.None)
        {
            _loop.Selector.Register(_fd, events, this);
        }
        else
        {
            _loop.Selector.Modify(_fd, events);
        }

        _interest = events;
    }

    private void Close(string reason)
    {
        if (_state == State.Closed)
        {
            return;
        }

        bool frozen = _state == State.Frozen;
        SetInterest(SelectorEvents.None);
        _state = State.Closed;
        SocketCalls.Close(_fd);
        _loop.Remove(this);
        _engine.OnClosed(Info);

        // A frozen connection's buffers still belong to its handler; they are left to the garbage collector.
        if (!frozen)
        {
            if (_input is not null)
            {
                ArrayPool<byte>.Shared.Return(_input);
                _input = null;
            }

            _output.Release();
            _protocol.ReleaseBuffers();
        }

        if (_engine.Log.IsEnabled(LogLevel.Debug))
        {
            ServerLog.ConnectionClosed(_engine.Log, Info.Id, reason);
        }
    }
}
