using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Framewire.Protocol;

namespace Framewire.Client;

/// <summary>
/// A client for the frame protocol. Requests may be pipelined: each <c>SendAsync</c> writes its frame at
/// once and completes when its response arrives, responses being matched to requests in order. A dropped
/// connection or a malformed response fails every request still waiting, with an exception that says which.
/// </summary>
public sealed class MessageClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _networkStream;

    // The network stream, or TLS over it: every byte goes through this.
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly MessageClientOptions _options;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Queue<TaskCompletionSource<Response>> _waiting = new();
    private readonly Lock _waitingLock = new();
    private readonly ArrayBufferWriter<byte> _sendBuffer = new();
    private readonly Task _receiveLoop;
    private Exception? _failure;

    private MessageClient(Socket socket, NetworkStream networkStream, SslStream? tls, MessageClientOptions options)
    {
        _socket = socket;
        _options = options;
        _networkStream = networkStream;
        _stream = tls ?? (Stream)networkStream;
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>The server's address.</summary>
    public EndPoint? RemoteEndPoint => _socket.RemoteEndPoint;

    /// <summary>The client's own address.</summary>
    public EndPoint? LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>Connects to <paramref name="host"/> and <paramref name="port"/> (see <see cref="Endpoints.Parse"/>).</summary>
    public static Task<MessageClient> ConnectAsync(string host, int port, MessageClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(Endpoints.Parse(host, port), host, options, cancellationToken);

    /// <summary>Connects to <paramref name="endPoint"/>, and completes the TLS handshake when the options ask for TLS.</summary>
    /// <exception cref="TimeoutException">The connection was not established within the connect timeout.</exception>
    /// <exception cref="SocketException">The connection was refused or failed.</exception>
    /// <exception cref="AuthenticationException">The TLS handshake failed: the server's certificate is not trusted, or the server refused ours.</exception>
    public static Task<MessageClient> ConnectAsync(EndPoint endPoint, MessageClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(endPoint, null, options, cancellationToken);

    private static async Task<MessageClient> ConnectAsync(EndPoint endPoint, string? host, MessageClientOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        options ??= new MessageClientOptions();
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

        return new MessageClient(socket, networkStream, tls, options);
    }

    /// <summary>Sends a request built by <see cref="SeedRequest.Create"/> or <see cref="SeedRequest.Json"/>.</summary>
    public Task<Response> SendAsync(SeedRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync(request.ContentType, request.ContentEncoding, request.Content, null, cancellationToken);
    }

    /// <summary>Sends <c>{"action": "search", "value": value}</c>.</summary>
    public Task<Response> SearchAsync(string value, CancellationToken cancellationToken = default) =>
        SendAsync(SeedRequest.Json("search", value), cancellationToken);

    /// <summary>Sends one request frame and waits for its response.</summary>
    /// <exception cref="IOException">The connection closed or failed before the response arrived.</exception>
    /// <exception cref="ProtocolException">The server sent a frame that does not decode.</exception>
    /// <exception cref="TimeoutException">No response within the request timeout.</exception>
    public async Task<Response> SendAsync(string contentType, string contentEncoding, ReadOnlyMemory<byte> content, IReadOnlyList<HeaderField>? customHeaders = null, CancellationToken cancellationToken = default)
    {
        var waiter = new TaskCompletionSource<Response>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_waitingLock)
            {
                if (_failure is not null)
                {
                    throw Failed(_failure);
                }

                _waiting.Enqueue(waiter);
            }

            _sendBuffer.ResetWrittenCount();
            FrameEncoder.Write(_sendBuffer, contentType, contentEncoding, content.Span, customHeaders);
            try
            {
                // Not cancellable: a frame cut off halfway would leave the stream out of step for every later request.
                await _stream.WriteAsync(_sendBuffer.WrittenMemory, CancellationToken.None).ConfigureAwait(false);
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

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            return await waiter.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No response within {_options.RequestTimeout.TotalSeconds:0.###} s.");
        }
    }

    /// <summary>Closes the connection; requests still waiting fail.</summary>
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
        _sendLock.Dispose();
    }

    private static Exception Failed(Exception failure) => failure switch
    {
        ProtocolException p => new ProtocolException(p.Error),
        _ => new IOException(failure.Message, failure),
    };

    private async Task ReceiveLoopAsync()
    {
        var decoder = new FrameDecoder(_options.Limits);
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

                    Complete(new Response(frame.Header, frame.Content.ToArray()));
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

    private void Complete(Response response)
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
            return;
        }

        waiter.TrySetResult(response);
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
