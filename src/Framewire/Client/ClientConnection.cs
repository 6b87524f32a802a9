using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Framewire.Protocol;

namespace Framewire.Client;

/// <summary>
/// One connection of a <see cref="MessageClient"/>: frames are written in order and responses matched to them in
/// order. Once it fails (dropped, or a malformed response) it stays failed; the client decides whether to replace it.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    // Stands in the line of answers for a frame whose answer nobody waits for: it is matched and dropped unread.
    private static readonly TaskCompletionSource<Response> s_discard = CreateDiscard();

    private readonly Socket _socket;
    private readonly NetworkStream _networkStream;

    // The network stream, or TLS over it: every byte goes through this.
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly FrameLimits _limits;
    private readonly ChecksumAlgorithm _checksum;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Queue<TaskCompletionSource<Response>> _waiting = new();
    private readonly Lock _waitingLock = new();
    private readonly ArrayBufferWriter<byte> _sendBuffer = new();
    private readonly Task _receiveLoop;
    private volatile Exception? _failure;

    private ClientConnection(Socket socket, NetworkStream networkStream, SslStream? tls, MessageClientOptions options)
    {
        _socket = socket;

        // Read once: a failed send's message names the server after the socket may already be disposed.
        RemoteEndPoint = socket.RemoteEndPoint;
        LocalEndPoint = socket.LocalEndPoint;
        _limits = options.Limits;
        _checksum = options.Checksum;
        _networkStream = networkStream;
        _stream = tls ?? (Stream)networkStream;
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    public EndPoint? RemoteEndPoint { get; }

    public EndPoint? LocalEndPoint { get; }

    /// <summary>True once the connection has dropped or received a malformed response: nothing more can be sent on it.</summary>
    public bool IsFailed => _failure is not null;

    /// <summary>Completes when the connection has failed or closed, and every answer still awaited has failed with it.</summary>
    public Task Completion => _receiveLoop;

    public static async Task<ClientConnection> ConnectAsync(EndPoint endPoint, string? host, MessageClientOptions options, CancellationToken cancellationToken)
    {
        Socket socket = Endpoints.CreateSocket(endPoint);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        NetworkStream? networkStream = null;
        SslStream? tls = null;
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            networkStream = new NetworkStream(socket, ownsSocket: false);
            if (options.Tls is { } tlsOptions)
            {
                tls = new SslStream(networkStream, leaveInnerStreamOpen: true);
                await tls.AuthenticateAsClientAsync(tlsOptions.CreateAuthenticationOptions(host, endPoint), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            if (tls is not null)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
            }

            if (networkStream is not null)
            {
                await networkStream.DisposeAsync().ConfigureAwait(false);
            }

            socket.Dispose();
            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Connecting to {Endpoints.Format(endPoint)} took longer than {options.ConnectTimeout.TotalSeconds:0.###} s.");
            }

            throw;
        }

        return new ClientConnection(socket, networkStream, tls, options);
    }

    /// <summary>
    /// Writes one request frame and returns the task of its response; null when the connection had already failed,
    /// in which case not a byte of the request was written.
    /// </summary>
    public async Task<Task<Response>?> WriteAsync(string contentType, string contentEncoding, ReadOnlyMemory<byte> content, IReadOnlyList<HeaderField>? customHeaders, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<Response>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        _sendBuffer.ResetWrittenCount();
        FrameEncoder.Write(_sendBuffer, contentType, contentEncoding, content.Span, customHeaders, _checksum);
        return await WriteLockedAsync(_sendBuffer.WrittenMemory, waiter).ConfigureAwait(false) ? waiter.Task : null;
    }

    /// <summary>
    /// Writes one frame already encoded, its answer to complete <paramref name="waiter"/> (dropped when null); false
    /// when the connection had already failed, in which case not a byte of it was written. A write that fails fails
    /// the waiter.
    /// </summary>
    public async ValueTask<bool> WriteEncodedAsync(ReadOnlyMemory<byte> frame, TaskCompletionSource<Response>? waiter)
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        return await WriteLockedAsync(frame, waiter ?? s_discard).ConfigureAwait(false);
    }

    private static TaskCompletionSource<Response> CreateDiscard()
    {
        var discard = new TaskCompletionSource<Response>();
        discard.SetCanceled();
        return discard;
    }

    /// <summary>Under the send lock, which it releases: queues the waiter, then writes the frame.</summary>
    private async ValueTask<bool> WriteLockedAsync(ReadOnlyMemory<byte> frame, TaskCompletionSource<Response> waiter)
    {
        try
        {
            lock (_waitingLock)
            {
                if (_failure is not null)
                {
                    return false;
                }

                _waiting.Enqueue(waiter);
            }

            try
            {
                // Not cancellable: a frame cut off halfway would leave the stream out of step for every later request.
                await _stream.WriteAsync(frame, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Fail(new IOException($"Sending to {Endpoints.Format(RemoteEndPoint)} failed: {e.Message}", e));
            }
        }
        finally
        {
            _sendLock.Release();
        }

        return true;
    }

    /// <summary>The exception a request gets when the connection had failed before it was sent.</summary>
    public Exception FailureException() => Failed(_failure ?? new IOException("The connection is closed."));

    public async ValueTask DisposeAsync()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }

        _socket.Dispose();
        await _receiveLoop.ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        await _networkStream.DisposeAsync().ConfigureAwait(false);

        // _sendLock stays usable: a request that picked this connection just before it was replaced may still call
        // WriteAsync, which must find it failed rather than throw ObjectDisposedException.
    }

    private static Exception Failed(Exception failure) => failure switch
    {
        ProtocolException p => new ProtocolException(p.Error),
        _ => new IOException(failure.Message, failure),
    };

    private async Task ReceiveLoopAsync()
    {
        var decoder = new FrameDecoder(_limits);
        try
        {
            while (true)
            {
                ReadResult result = await _reader.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                while (true)
                {
                    DecodeStatus status = decoder.Decode(ref buffer, out Frame frame, out ProtocolError error);
                    if (status == DecodeStatus.NeedMoreData)
                    {
                        break;
                    }

                    if (status == DecodeStatus.Error)
                    {
                        Fail(new ProtocolException(error));
                        return;
                    }

                    if (ContentChecksum.TryVerify(frame, out ProtocolError checksumError))
                    {
                        Complete(frame);
                    }
                    else
                    {
                        // The frame itself is whole, so the stream is still in step: only this request fails.
                        Refuse(new ProtocolException(checksumError));
                    }
                }

                bool partial = !buffer.IsEmpty || decoder.IsAwaitingContent;
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    Fail(new IOException(partial
                        ? "The server closed the connection in the middle of a response."
                        : "The server closed the connection before answering."));
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Fail(new IOException("The connection failed: " + e.Message, e));
        }
        finally
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Complete(in Frame frame)
    {
        // An answer nobody waits for (a fire-and-forget frame's) is matched and dropped without being copied.
        if (TakeWaiter() is { } waiter && waiter != s_discard)
        {
            waiter.TrySetResult(new Response(frame.Header, frame.Content.ToArray()));
        }
    }

    private void Refuse(ProtocolException refused) => TakeWaiter()?.TrySetException(refused);

    private TaskCompletionSource<Response>? TakeWaiter()
    {
        TaskCompletionSource<Response>? waiter;
        lock (_waitingLock)
        {
            _waiting.TryDequeue(out waiter);
        }

        // A response nobody asked for means the stream is out of step; fail loudly rather than mismatch answers.
        if (waiter is null)
        {
            Fail(new ProtocolException(ErrorCode.InvalidRequest, "The server sent a response to no request."));
        }

        return waiter;
    }

    private void Fail(Exception failure)
    {
        TaskCompletionSource<Response>[] waiting;
        lock (_waitingLock)
        {
            _failure ??= failure;
            waiting = [.. _waiting];
            _waiting.Clear();
        }

        foreach (TaskCompletionSource<Response> waiter in waiting)
        {
            waiter.TrySetException(Failed(failure));
        }
    }
}
