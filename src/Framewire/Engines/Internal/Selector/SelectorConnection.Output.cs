using System.Buffers;
using Framewire.Engines.Internal.Connections;
using Framewire.Internal;
using Framewire.Selectors;

namespace Framewire.Engines.Internal.Selector;

/// <summary>The selector connection's output side: flushing, backpressure and the close, lingering when the server closes first.</summary>
internal sealed partial class SelectorConnection
{
    private void BeginClosing(ConnectionClose close)
    {
        RareState.Close = close;
        _state = State.Closing;
        _info.Stats.SetState(ConnectionState.Draining);
        Flush();
    }

    /// <summary>Sends what it can; true when all output is sent and the connection still open.</summary>
    private bool Flush()
    {
        if (!(SslSession is not null ? SendSsl() : TlsStream is null ? SendPlain() : SendTls()))
        {
            return false;
        }

        OutputBuffer?.Release();
        _outputSent = 0;
        TlsStream?.Ciphertext.Release();
        HoldSslBuffers();
        OnDrained();
        if (_state == State.Closing)
        {
            FinishClosing();
            return false;
        }

        if (_application is not null)
        {
            _info.Stats.SetState(WaitingState(_inputEnd > _inputStart));
        }

        SetInterest(SelectorEvents.Read);
        return true;
    }

    /// <summary>
    /// Sends echoed input straight from the read buffer when nothing is queued ahead of it: a 16 KiB echo then costs
    /// one send and no copy. Only what the socket does not take is copied into the output, which the flush after the
    /// application sends in order. A send that fails is left for that flush to find, as the application is running.
    /// </summary>
    internal override void WriteReceived(ReadOnlySpan<byte> bytes)
    {
        if (TlsStream is null && SslSession is null && _state == State.Open && PendingOutput == 0)
        {
            int sent = SocketCalls.Send(_fd, bytes);
            if (sent > 0)
            {
                CountSentDirectly(sent);
                bytes = bytes[sent..];
            }
        }

        if (!bytes.IsEmpty)
        {
            base.WriteReceived(bytes);
        }
    }

    private protected override IBufferWriter<byte> CreateTarget() => new PooledBufferWriter();

    /// <summary>Sends the output as it is; true when all of it went.</summary>
    private bool SendPlain()
    {
        while (PendingOutput > 0)
        {
            int sent = SocketCalls.Send(_fd, OutputBuffer!.WrittenSpan[_outputSent..]);
            if (sent > 0)
            {
                _outputSent += sent;
                _info.Stats.AddBytesSent(sent);
            }
            else if (!SendWouldWait(SocketCalls.LastError))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// After a send that took nothing: true to try again at once (interrupted); else false, waiting for writability
    /// (the socket buffer is full) or closed (the send failed).
    /// </summary>
    private bool SendWouldWait(int errno)
    {
        if (errno == SocketCalls.EINTR)
        {
            return true;
        }

        if (errno == SocketCalls.EAGAIN)
        {
            OnSendWaiting();
            if (_state == State.Open && _application is not null)
            {
                _info.Stats.SetState(ConnectionState.Writing);
            }

            // The socket buffer is full: wait for writability, and read on only while the output has room
            // (backpressure); requests held back by the read-ahead limit come first.
            SetInterest(_paused || IsFull ? SelectorEvents.Write : SelectorEvents.Read | SelectorEvents.Write);
            return false;
        }

        _peerGone = true;
        Close(new ConnectionClose(CloseReason.SendFailed, "errno " + errno));
        return false;
    }

    private void FinishClosing()
    {
        if (_peerGone || !_rare!.Close.ClosesFirst)
        {
            Close(_rare!.Close);
            return;
        }

        if (TlsStream is not null && SendCloseNotify())
        {
            // The flush comes back here, with close_notify sent.
            Flush();
            return;
        }

        if (SslSession is not null && !SendSslCloseNotify())
        {
            // Writability comes back here through the flush.
            return;
        }

        // We close first: send FIN, then discard what the peer still sends for a short while, so the kernel does
        // not answer unread bytes with a reset that could destroy the error frame we just sent.
        SocketCalls.ShutdownSend(_fd);
        _state = State.Lingering;
        SetInterest(SelectorEvents.Read);
        _loop.Schedule(_services.LingerTimeout, () =>
        {
            if (_state == State.Lingering)
            {
                Close(_rare!.Close);
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

        Close(_rare!.Close);
    }

    /// <summary>
    /// Changes what the selector watches for; <see cref="SelectorEvents.None"/> unregisters. An open TLS connection
    /// only notes the wish: its reads are the SslStream's, and what it watches is settled after each call into it.
    /// </summary>
    private void SetInterest(SelectorEvents events)
    {
        if (TlsStream is not null && _state == State.Open)
        {
            TlsStream.Requested = events;
            return;
        }

        Watch(events);
    }

    private void Watch(SelectorEvents events)
    {
        if (events == _interest)
        {
            return;
        }

        _loop.Poller.Watch(_fd, _interest, events);
        _interest = events;
    }

    private void Close(ConnectionClose close)
    {
        if (_state == State.Closed)
        {
            return;
        }

        bool frozen = _state == State.Frozen;
        Watch(SelectorEvents.None);
        _state = State.Closed;

        // Out of the loop's table first: once closed, the descriptor's number may be another connection's.
        _loop.Remove(this);
        SocketCalls.Close(_fd);

        // A frozen connection's buffers still belong to its pending work; they are left to the garbage collector.
        if (!frozen)
        {
            if (_input is not null)
            {
                ArrayPool<byte>.Shared.Return(_input);
                _input = null;
            }

            OutputBuffer?.Release();
            _application?.ReleaseBuffers();
        }

        TlsStream?.Dispose();
        SslSession?.Dispose();
        _services.Closed(_info, close);
    }
}
