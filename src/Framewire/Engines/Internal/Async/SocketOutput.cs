using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Framewire.Engines.Internal.Connections;
using Framewire.Internal;

namespace Framewire.Engines.Internal.Async;

/// <summary>
/// The async engine's output on a plain socket: what the application writes goes into one pooled buffer, and a flush
/// hands it to <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/> directly. A flush
/// the socket takes at once (the usual case) completes without an async state machine; the buffer goes back to the
/// pool once it is sent, so an idle connection holds none. TLS keeps the <see cref="SendCounter"/> stream writer, as
/// SslStream frames the bytes itself.
/// </summary>
/// <remarks>
/// One buffer that grows by copying, not a chain of segments: answers to pipelined requests leave in one send, and
/// the buffer is bounded by the read-ahead limits (the application pauses at <c>SendHighWater</c>), so a copy is rare.
/// Bytes are counted into <see cref="ConnectionStats.BytesSent"/> in slices of 64 KiB as the socket takes them, as
/// <see cref="SendCounter"/> does: a client reading slowly but steadily shows progress to the slow-consumer check.
/// </remarks>
internal sealed class SocketOutput(Socket socket, ConnectionStats stats) : PipeWriter
{
    private const int MinimumSize = 4096;
    private const int SliceSize = 64 * 1024;

    private readonly PooledBufferWriter _buffer = new(MinimumSize);
    private bool _completed;

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _buffer.WrittenCount;

    public override void Advance(int bytes) => _buffer.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => _buffer.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _buffer.GetSpan(sizeHint);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        int written = _buffer.WrittenCount;
        if (written == 0)
        {
            return new ValueTask<FlushResult>(default(FlushResult));
        }

        // Sync fast path: the socket takes the whole (small) buffer at once.
        if (written <= SliceSize)
        {
            ValueTask<int> send = socket.SendAsync(_buffer.WrittenMemory, SocketFlags.None, cancellationToken);
            if (send.IsCompletedSuccessfully)
            {
                // Stream sockets send everything before completing.
                Sent(send.Result);
                return new ValueTask<FlushResult>(default(FlushResult));
            }

            return AwaitSendAsync(send);
        }

        return SendSlicesAsync(0, cancellationToken);
    }

    public override void CancelPendingFlush()
    {
        // Nothing waits on a flush but the connection's own loop, which never cancels one.
    }

    public override void Complete(Exception? exception = null)
    {
        // The async loop always completes through CompleteAsync; this path only drops what is left.
        _completed = true;
        _buffer.Release();
    }

    /// <summary>Without an exception, sends what is left first (as the stream writer does); with one, drops it.</summary>
    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        try
        {
            if (exception is null && _buffer.WrittenCount > 0)
            {
                await SendSlicesAsync(0, default).ConfigureAwait(false);
            }
        }
        finally
        {
            _buffer.Release();
        }
    }

    private async ValueTask<FlushResult> AwaitSendAsync(ValueTask<int> send)
    {
        int sent = await Translate(send).ConfigureAwait(false);
        Sent(sent);
        return default;
    }

    private async ValueTask<FlushResult> SendSlicesAsync(int offset, CancellationToken cancellationToken)
    {
        while (offset < _buffer.WrittenCount)
        {
            int slice = Math.Min(SliceSize, _buffer.WrittenCount - offset);
            await Translate(socket.SendAsync(_buffer.WrittenMemory.Slice(offset, slice), SocketFlags.None, cancellationToken)).ConfigureAwait(false);
            stats.AddBytesSent(slice);
            offset += slice;
        }

        _buffer.Release();
        return default;
    }

    /// <summary>
    /// A failed send surfaces as the <see cref="IOException"/> a <see cref="NetworkStream"/> would throw, so the close
    /// is logged as before.
    /// </summary>
    private static async ValueTask<int> Translate(ValueTask<int> send)
    {
        try
        {
            return await send.ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException($"Unable to write data to the transport connection: {e.Message}.", e);
        }
    }

    private void Sent(int count)
    {
        stats.AddBytesSent(count);
        _buffer.Release();
    }
}
