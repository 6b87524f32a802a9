using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Framewire.Engines.Internal.Async;

/// <summary>The async connection's input side: the receive loop that fills the pipe, and the linger that drains it at the close.</summary>
internal sealed partial class AsyncConnection
{
    /// <summary>
    /// True when the kernel holds bytes the receive loop has not taken yet: the peer is not idle, the thread pool is
    /// just late to run the receive. Asked only of connections that look idle.
    /// </summary>
    private bool HasBytesWaiting()
    {
        try
        {
            return _socket.Available > 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private async Task ReceiveLoopAsync(SslStream? tls)
    {
        PipeWriter writer = _input.Writer;
        CancellationToken cancellation = _receiveCancellation.Token;
        try
        {
            while (true)
            {
                if (_waitForData)
                {
                    // SslStream passes a zero-byte read down to the socket when it has no decrypted bytes left.
                    _ = tls is null
                        ? await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellation).ConfigureAwait(false)
                        : await tls.ReadAsync(Memory<byte>.Empty, cancellation).ConfigureAwait(false);
                }

                Memory<byte> memory = writer.GetMemory(MinimumReceiveSize);
                int received = tls is null
                    ? await _socket.ReceiveAsync(memory, SocketFlags.None, cancellation).ConfigureAwait(false)
                    : await tls.ReadAsync(memory, cancellation).ConfigureAwait(false);
                if (received == 0)
                {
                    _peerGone = !IsShuttingDown;
                    break;
                }

                OnReceived(received);
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
            _peerGone = true;

            // Our own shutdown of the receive side, when the server stops, is no reset: the peer still reads.
            _reset = e.SocketErrorCode != SocketError.Shutdown;
        }
        catch (Exception e) when (e is IOException or AuthenticationException)
        {
            // TLS: the peer reset, broke the record layer, or tried to renegotiate; nothing it sends can be trusted.
            _peerGone = true;
            _reset = true;
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
    private async Task LingerAsync(SslStream? tls)
    {
        try
        {
            if (tls is not null)
            {
                // close_notify first, so the peer can tell our close from a truncation attack.
                await tls.ShutdownAsync().ConfigureAwait(false);
            }

            _socket.Shutdown(SocketShutdown.Send);
            using var timeout = new CancellationTokenSource(_services.LingerTimeout);
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
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer reset, stopped sending, or took too long: close either way.
        }
    }
}
