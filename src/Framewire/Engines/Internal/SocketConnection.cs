using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Framewire.Apps;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal;

/// <summary>
/// One accepted socket on the async engine: a receive loop fills an input <see cref="Pipe"/>; the process loop
/// decodes, handles and writes responses to a <see cref="PipeWriter"/> over the socket, flushing once per batch of
/// received bytes so pipelined requests share a send.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "RunAsync disposes what the connection owns when it ends.")]
internal sealed class SocketConnection
{
    // The pipe's segment size; also the smallest receive, so one receive fits a typical burst of small frames.
    private const int MinimumReceiveSize = 4096;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Pipe _input;
    private readonly PipeWriter _output;
    private readonly ConnectionProtocol _protocol;
    private readonly MessageServerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _receiveCancellation = new();
    private volatile bool _shuttingDown;
    private bool _peerClosed;

    public SocketConnection(Socket socket, ConnectionInfo info, Func<ConnectionInfo, ConnectionProtocol> protocolFactory, MessageServerOptions options, ILogger logger)
    {
        _socket = socket;
        Info = info;
        _options = options;
        _logger = logger;
        _stream = new NetworkStream(socket, ownsSocket: false);

        // The pipe must be able to hold one whole frame, or a frame larger than the pause threshold could never
        // complete: the reader cannot consume a frame before all of it is there.
        long pause = options.Limits.MaxFrameLength + (long)MinimumReceiveSize;
        _input = new Pipe(new PipeOptions(
            pool: MemoryPool<byte>.Shared,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: pause,
            resumeWriterThreshold: pause / 2,
            minimumSegmentSize: MinimumReceiveSize,
            useSynchronizationContext: false));
        _output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(pool: MemoryPool<byte>.Shared, minimumBufferSize: MinimumReceiveSize, leaveOpen: true));
        _protocol = protocolFactory(info);
    }

    public ConnectionInfo Info { get; }

    public async Task RunAsync()
    {
        Task receiving = ReceiveLoopAsync();
        string reason;
        bool closedByUs;
        try
        {
            (reason, closedByUs) = await ProcessLoopAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            (reason, closedByUs) = ("send failed: " + e.Message, false);
        }
        catch (Exception e)
        {
            ServerLog.ConnectionFailed(_logger, Info.Id, e);
            (reason, closedByUs) = ("failed: " + e.Message, true);
        }

        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        await _receiveCancellation.CancelAsync().ConfigureAwait(false);
        await receiving.ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        _protocol.ReleaseBuffers();

        if (closedByUs && !_peerClosed)
        {
            await LingerAsync().ConfigureAwait(false);
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        _receiveCancellation.Dispose();
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.ConnectionClosed(_logger, Info.Id, reason);
        }
    }

    /// <summary>
    /// Stops reading new input: what the kernel already holds is still read and answered, a frame cut short is
    /// answered with <c>shutting_down</c>, then the connection closes.
    /// </summary>
    public void BeginShutdown()
    {
        _shuttingDown = true;
        try
        {
            // Wakes a pending receive; queued bytes are still returned before the end-of-stream.
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Not connected any more, or already closed: the connection is ending by itself.
        }
    }

    /// <summary>Closes the socket at once, for connections that outlive the shutdown timeout.</summary>
    public void Abort()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing left to abort.
        }

        _socket.Dispose();
    }

    private async Task<(string Reason, bool ClosedByUs)> ProcessLoopAsync()
    {
        PipeReader reader = _input.Reader;
        while (true)
        {
            ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            ProcessStatus status;
            while ((status = _protocol.Process(ref buffer, _output)) == ProcessStatus.Pending)
            {
                await _protocol.PendingTask!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                _protocol.CompletePending();
            }

            bool unconsumed = !buffer.IsEmpty;
            reader.AdvanceTo(buffer.Start, buffer.End);

            if (status == ProcessStatus.Close)
            {
                await _output.FlushAsync().ConfigureAwait(false);
                return (_protocol.CloseReason.ToString(), true);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                bool shuttingDown = _shuttingDown;
                _protocol.OnEndOfInput(unconsumed, shuttingDown, _output);
                await _output.FlushAsync().ConfigureAwait(false);
                return shuttingDown ? ("server shutdown", true) : ("closed by peer", false);
            }

            if (_output.UnflushedBytes > 0)
            {
                FlushResult flushed = await _output.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    return ("output closed", true);
                }
            }

            if (!unconsumed && !_protocol.HasPartialMessage)
            {
                _protocol.ReleaseBuffers();
            }
        }
    }

    private async Task ReceiveLoopAsync()
    {
        PipeWriter writer = _input.Writer;
        CancellationToken cancellation = _receiveCancellation.Token;
        try
        {
            while (true)
            {
                if (_options.WaitForDataBeforeAllocatingBuffer)
                {
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellation).ConfigureAwait(false);
                }

                Memory<byte> memory = writer.GetMemory(MinimumReceiveSize);
                int received = await _socket.ReceiveAsync(memory, SocketFlags.None, cancellation).ConfigureAwait(false);
                if (received == 0)
                {
                    _peerClosed = !_shuttingDown;
                    break;
                }

                writer.Advance(received);
                FlushResult flushed = await writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The process loop is done with this connection.
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown)
        {
            _peerClosed = true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The socket failed or was aborted; the process loop sees the end of input and closes.
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends FIN and discards what the peer still sends for a short while. Closing with unread bytes in the
    /// receive queue would make the kernel send a reset, and the peer could lose the error frame we just sent.
    /// </summary>
    private async Task LingerAsync()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            using var timeout = new CancellationTokenSource(_options.LingerTimeout);
            byte[] sink = ArrayPool<byte>.Shared.Rent(MinimumReceiveSize);
            try
            {
                while (await _socket.ReceiveAsync(sink, SocketFlags.None, timeout.Token).ConfigureAwait(false) > 0)
                {
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(sink);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer reset, stopped sending, or took too long: close either way.
        }
    }
}
