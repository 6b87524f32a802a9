using System.Buffers;
using System.Runtime.CompilerServices;
using Framewire.Engines.Internal.Connections;
using Framewire.Engines.Internal.Selector;

namespace Framewire.Engines.Internal.Uring;

/// <summary>The io_uring connection's output side: one send in the ring at a time, backpressure, and the close, lingering when the server closes first.</summary>
internal sealed unsafe partial class UringConnection
{
    private bool _slotFreed;

    private void BeginClosing(ConnectionClose close)
    {
        _close = close;
        _state = State.Closing;
        _info.Stats.SetState(ConnectionState.Draining);
        Flush();
    }

    /// <summary>Sends what is written, unless a send is in the ring already (its completion sends the rest).</summary>
    private void Flush()
    {
        if (_sendInFlight)
        {
            return;
        }

        if (_output.WrittenCount > 0)
        {
            StartSend();
            return;
        }

        Drained();
    }

    /// <summary>
    /// Sends echoed input straight from the receive buffer it arrived in when nothing is queued ahead of it: a 16 KiB
    /// echo then costs one send and no copy, and the buffer goes back to the kernel when the send is done. Otherwise
    /// (a send in the ring, output written before it, input kept in the connection's own buffer) the bytes are copied
    /// into the output as any write is.
    /// </summary>
    internal override void WriteReceived(ReadOnlySpan<byte> bytes)
    {
        if (_processingBuffer >= 0 && _state == State.Open && !_sendInFlight && _output.WrittenCount == 0 && !bytes.IsEmpty)
        {
            fixed (byte* address = bytes)
            {
                // The slab is pinned: the address stays valid after the fixed block, as long as the buffer is not recycled.
                byte* buffer = (byte*)Unsafe.AsPointer(ref _loop.Buffers.Slab[_processingBuffer * BufferRing.BufferSize]);
                if (address >= buffer && address + bytes.Length <= buffer + BufferRing.BufferSize)
                {
                    _directBuffer = _processingBuffer;
                    _directAddress = address;
                    _directLength = bytes.Length;
                    _sendOffset = 0;
                    CountQueuedDirectly(bytes.Length);
                    SubmitSend();
                    return;
                }
            }
        }

        base.WriteReceived(bytes);
    }

    private void StartSend()
    {
        // What the application wrote goes out; it writes on into the other buffer meanwhile.
        (_output, _sending) = (_sending, _output);
        Target = _output;
        _sendOffset = 0;
        _sendPin = _sending.WrittenMemory.Pin();
        SubmitSend();
    }

    private void SubmitSend()
    {
        _sendInFlight = true;
        _requests++;

        // Output is under way: the slow-consumer check measures the client's rate from now until it has all of it.
        OnSendWaiting();
        if (_directBuffer >= 0)
        {
            _loop.SubmitSend(_slot, _fd, _directAddress + _sendOffset, _directLength - _sendOffset);
        }
        else
        {
            _loop.SubmitSend(_slot, _fd, (byte*)_sendPin.Pointer + _sendOffset, _sending.WrittenCount - _sendOffset);
        }
    }

    private void OnSent(int result)
    {
        _requests--;
        _sendInFlight = false;
        if (result > 0)
        {
            _sendOffset += result;
            _info.Stats.AddBytesSent(result);
        }

        if (result >= 0 && _state != State.Closed && _sendOffset < (_directBuffer >= 0 ? _directLength : _sending.WrittenCount))
        {
            // The socket took part of it: its buffer is full, and the rest goes when the client has read.
            if (_state == State.Open && _application is not null)
            {
                _info.Stats.SetState(ConnectionState.Writing);
            }

            SubmitSend();
            return;
        }

        _sendOffset = 0;
        if (_directBuffer >= 0)
        {
            // Pending work that took its request from the same buffer hands it back when it is done.
            if (_directBuffer != _lentBuffer)
            {
                _loop.Buffers.Recycle((ushort)_directBuffer);
            }

            _directBuffer = -1;
        }
        else
        {
            _sendPin.Dispose();
            _sendPin = default;
        }

        if (_state == State.Closed)
        {
            _sending.Release();
            return;
        }

        _sending.Clear();
        if (result < 0)
        {
            _peerGone = true;
            Close(new ConnectionClose(CloseReason.SendFailed, "errno " + -result));
            return;
        }

        if (_state == State.Frozen)
        {
            // The pending work owns the output; it is sent when the work posts back.
            return;
        }

        Flush();
        UpdateReceive();
    }

    /// <summary>The client has taken everything written.</summary>
    private void Drained()
    {
        _output.Release();
        _sending.Release();
        OnDrained();
        if (_state == State.Closing)
        {
            FinishClosing();
            return;
        }

        if (_state != State.Open)
        {
            return;
        }

        if (_application is not null)
        {
            _info.Stats.SetState(WaitingState(_inputEnd > _inputStart));
        }

        if (_paused)
        {
            // Go on with the requests read ahead before reading more.
            _paused = false;
            Process();
        }
    }

    private void FinishClosing()
    {
        if (_peerGone || !_close.ClosesFirst)
        {
            Close(_close);
            return;
        }

        // We close first: send FIN, then discard what the peer still sends for a short while, so the kernel does
        // not answer unread bytes with a reset that could destroy the error frame we just sent.
        SocketCalls.ShutdownSend(_fd);
        _state = State.Lingering;
        UpdateReceive();
        _loop.Schedule(_services.LingerTimeout, () =>
        {
            if (_state == State.Lingering)
            {
                Close(_close);
            }
        });
    }

    private void Close(ConnectionClose close)
    {
        if (_state == State.Closed)
        {
            return;
        }

        bool frozen = _state == State.Frozen;
        _state = State.Closed;
        CancelReceive();
        if (_sendInFlight)
        {
            _requests++;
            _loop.SubmitCancel(_slot, UringOp.Send);
        }

        _loop.Untrack(this);

        // A frozen connection's output still belongs to its pending work; it is left to the garbage collector.
        if (!frozen)
        {
            if (_input is not null)
            {
                _loop.Pool.Return(_input);
                _input = null;
            }

            _output.Release();
            if (!_sendInFlight)
            {
                _sending.Release();
            }

            _application?.ReleaseBuffers();
        }

        _services.Closed(_info, close);
        FreeSlotWhenDone();
    }
}
