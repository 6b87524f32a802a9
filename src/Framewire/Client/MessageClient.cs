using System.Net;
using Framewire.Protocol;

namespace Framewire.Client;

/// <summary>
/// A client for the frame protocol. Requests may be pipelined: each <c>SendAsync</c> writes its frame at
/// once and completes when its response arrives, responses being matched to requests in order. A dropped
/// connection or a malformed response fails every request still waiting, with an exception that says which.
/// With <see cref="MessageClientOptions.Retry"/> set, the client instead opens a fresh connection when the
/// current one has dropped, and retries the requests marked idempotent (<see cref="Request.Idempotent"/>).
/// </summary>
public sealed class MessageClient : IAsyncDisposable
{
    private readonly EndPoint _endPoint;
    private readonly string? _host;
    private readonly MessageClientOptions _options;

    // Held while a fresh connection is made, so that requests that all saw the same drop share one new connection.
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private volatile ClientConnection _connection;
    private bool _disposed;

    private MessageClient(EndPoint endPoint, string? host, MessageClientOptions options, ClientConnection connection)
    {
        _endPoint = endPoint;
        _host = host;
        _options = options;
        _connection = connection;
    }

    /// <summary>The server's address.</summary>
    public EndPoint? RemoteEndPoint => _connection.RemoteEndPoint;

    /// <summary>The client's own address, on the current connection.</summary>
    public EndPoint? LocalEndPoint => _connection.LocalEndPoint;

    /// <summary>Connects to <paramref name="host"/> and <paramref name="port"/> (see <see cref="Endpoints.Parse"/>).</summary>
    public static Task<MessageClient> ConnectAsync(string host, int port, MessageClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(Endpoints.Parse(host, port), host, options, cancellationToken);

    /// <summary>
    /// Connects to <paramref name="endPoint"/>, and completes the TLS handshake when the options ask for TLS. With a
    /// retry policy, a refused or failed first connection is retried like a later one.
    /// </summary>
    /// <exception cref="TimeoutException">The connection was not established within the connect timeout.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The connection was refused or failed.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed: the server's certificate is not trusted, or the server refused ours.</exception>
    public static Task<MessageClient> ConnectAsync(EndPoint endPoint, MessageClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(endPoint, null, options, cancellationToken);

    private static async Task<MessageClient> ConnectAsync(EndPoint endPoint, string? host, MessageClientOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        options ??= new MessageClientOptions();
        RetryPolicy? retry = options.Retry;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                ClientConnection connection = await ClientConnection.ConnectAsync(endPoint, host, options, cancellationToken).ConfigureAwait(false);
                return new MessageClient(endPoint, host, options, connection);
            }
            catch (Exception e) when (retry is not null && IsConnectFailure(e, cancellationToken) && attempt < retry.MaxRetries)
            {
                await Task.Delay(retry.DelayBefore(attempt + 1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Sends a request built by <see cref="Request.Create"/> or <see cref="Request.Json"/>. With a retry
    /// policy, a request marked <see cref="Request.Idempotent"/> whose connection drops before its answer is
    /// sent again on a fresh connection.
    /// </summary>
    /// <exception cref="IOException">
    /// The connection closed or failed before the response arrived: without a retry policy; or the request is not
    /// idempotent (it may or may not have been processed); or every attempt the policy allows failed.
    /// </exception>
    /// <exception cref="ProtocolException">The server sent a frame that does not decode, or whose content fails its checksum.</exception>
    /// <exception cref="TimeoutException">No response within the request timeout.</exception>
    public Task<Response> SendAsync(Request request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync(request.ContentType, request.ContentEncoding, request.Content, null, request.Idempotent, cancellationToken);
    }

    /// <summary>Sends a request built under its former name; see <see cref="SendAsync(Request, CancellationToken)"/>.</summary>
    [Obsolete("Use SendAsync(Request): SeedRequest goes in the next release.")]
#pragma warning disable CS0618 // The overload exists only for the obsolete type.
    public Task<Response> SendAsync(SeedRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync(request.ToRequest(), cancellationToken);
    }
#pragma warning restore CS0618

    /// <summary>Sends <c>{"action": "search", "value": value}</c>. A search only reads, so it is idempotent: retried under a retry policy.</summary>
    public Task<Response> SearchAsync(string value, CancellationToken cancellationToken = default) =>
        SendAsync(Request.Json("search", value) with { Idempotent = true }, cancellationToken);

    /// <summary>
    /// Sends one request frame and waits for its response. The request is taken as not idempotent: under a retry
    /// policy it is sent again only when the connection had dropped before a byte of it was written.
    /// </summary>
    /// <exception cref="IOException">The connection closed or failed before the response arrived.</exception>
    /// <exception cref="ProtocolException">The server sent a frame that does not decode, or whose content fails its checksum.</exception>
    /// <exception cref="TimeoutException">No response within the request timeout.</exception>
    public Task<Response> SendAsync(string contentType, string contentEncoding, ReadOnlyMemory<byte> content, IReadOnlyList<HeaderField>? customHeaders = null, CancellationToken cancellationToken = default) =>
        SendAsync(contentType, contentEncoding, content, customHeaders, idempotent: false, cancellationToken);

    /// <summary>Closes the connection; requests still waiting fail.</summary>
    public async ValueTask DisposeAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _connectLock.Release();
        }
    }

    // A connection that could not be made carried no request, so trying again is safe for any request.
    private static bool IsConnectFailure(Exception e, CancellationToken cancellationToken) =>
        e is IOException or System.Net.Sockets.SocketException or TimeoutException
        && !cancellationToken.IsCancellationRequested;

    private async Task<Response> SendAsync(
        string contentType, string contentEncoding, ReadOnlyMemory<byte> content, IReadOnlyList<HeaderField>? customHeaders, bool idempotent, CancellationToken cancellationToken)
    {
        RetryPolicy? retry = _options.Retry;
        if (retry is null)
        {
            ClientConnection only = _connection;
            Task<Response> response = await only.WriteAsync(contentType, contentEncoding, content, customHeaders, cancellationToken).ConfigureAwait(false)
                ?? throw only.FailureException();
            return await WaitAsync(response, cancellationToken).ConfigureAwait(false);
        }

        for (int attempt = 1; ; attempt++)
        {
            ClientConnection connection;
            try
            {
                connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConnectFailure(e, cancellationToken))
            {
                await BackOffOrGiveUpAsync(retry, attempt, e, cancellationToken).ConfigureAwait(false);
                continue;
            }

            Task<Response>? response = await connection.WriteAsync(contentType, contentEncoding, content, customHeaders, cancellationToken).ConfigureAwait(false);
            Exception failure;
            if (response is null)
            {
                // It dropped between the check and the write: nothing was sent.
                failure = connection.FailureException();
            }
            else
            {
                try
                {
                    return await WaitAsync(response, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e) when (idempotent)
                {
                    failure = e;
                }
                catch (IOException e)
                {
                    throw new IOException(
                        $"The connection to {Endpoints.Format(_endPoint)} dropped before the answer, and the request is not idempotent, so it was " +
                        $"not sent again: it may or may not have been processed. {e.Message}",
                        e);
                }
            }

            await BackOffOrGiveUpAsync(retry, attempt, failure, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task BackOffOrGiveUpAsync(RetryPolicy retry, int attempt, Exception failure, CancellationToken cancellationToken)
    {
        if (attempt > retry.MaxRetries)
        {
            throw new IOException($"The request to {Endpoints.Format(_endPoint)} failed {attempt} time(s), the last time with: {failure.Message}", failure);
        }

        await Task.Delay(retry.DelayBefore(attempt), cancellationToken).ConfigureAwait(false);
    }

    private async Task<Response> WaitAsync(Task<Response> response, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            return await response.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No response within {_options.RequestTimeout.TotalSeconds:0.###} s.");
        }
    }

    /// <summary>The current connection, or a fresh one in its place when it has failed.</summary>
    private async Task<ClientConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        ClientConnection current = _connection;
        if (!current.IsFailed)
        {
            return current;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            current = _connection;
            if (!current.IsFailed)
            {
                return current;
            }

            ClientConnection fresh = await ClientConnection.ConnectAsync(_endPoint, _host, _options, cancellationToken).ConfigureAwait(false);
            _connection = fresh;
            await current.DisposeAsync().ConfigureAwait(false);
            return fresh;
        }
        finally
        {
            _connectLock.Release();
        }
    }
}
