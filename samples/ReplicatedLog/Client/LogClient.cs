using System.Text.Json;
using Framewire.Client;
using Framewire.Protocol;
using ReplicatedLog.Wire;

namespace ReplicatedLog.Client;

/// <summary>
/// A client of the replicated log: sends each request to the node it last heard of as the leader, follows a
/// follower's redirect, and tries again, until its deadline, when there is no leader yet or the node it talks to is
/// gone. A put is an absolute write, so sending it again after a lost answer does no harm.
/// </summary>
internal sealed class LogClient : IAsyncDisposable
{
    // Long enough for an election (300–600 ms of timeout, then one round of votes), short enough to notice it.
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly string[] _nodes;
    private readonly TimeSpan _timeout;
    private string _target;
    private int _next;
    private MessageClient? _client;
    private string? _connectedTo;

    /// <param name="nodes">Nodes to start from; after a node fails, the next one is tried.</param>
    /// <param name="timeout">How long one call may take, retries included.</param>
    public LogClient(IReadOnlyList<string> nodes, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentOutOfRangeException.ThrowIfZero(nodes.Count);
        _nodes = [.. nodes];
        _timeout = timeout;
        _target = _nodes[0];
    }

    /// <summary>The node the last answer came from.</summary>
    public string Target => _target;

    /// <summary>Writes <paramref name="value"/> under <paramref name="key"/>; the reply is <c>ok</c> once the write is committed.</summary>
    public Task<ClientReply> PutAsync(string key, string value, CancellationToken cancellationToken = default) =>
        SendAsync(new ClientRequest(ClientRequest.Put, key, value), cancellationToken);

    /// <summary>Reads <paramref name="key"/> from the leader, or with <paramref name="local"/> from the first node as it is.</summary>
    public Task<ClientReply> GetAsync(string key, bool local = false, CancellationToken cancellationToken = default) =>
        SendAsync(new ClientRequest(ClientRequest.Get, key, Local: local), cancellationToken);

    /// <summary>The first node's status, without following anyone.</summary>
    public async Task<StatusReply> StatusAsync(CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        Response response = await ExchangeAsync(_nodes[0], new ClientRequest(ClientRequest.Status), deadline.Token);
        return JsonSerializer.Deserialize(response.Content.Span, WireJsonContext.Default.StatusReply)
            ?? throw new ProtocolException(ErrorCode.InvalidRequest, "The status is null.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
    }

    private async Task<ClientReply> SendAsync(ClientRequest request, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        string target = request.Local ? _nodes[0] : _target;
        ClientReply? last = null;
        Exception? failure = null;
        int redirects = 0;
        while (true)
        {
            try
            {
                Response response = await ExchangeAsync(target, request, deadline.Token);
                ClientReply reply = JsonSerializer.Deserialize(response.Content.Span, WireJsonContext.Default.ClientReply)
                    ?? throw new ProtocolException(ErrorCode.InvalidRequest, "The reply is null.");
                _target = target;
                if (reply.Status == ClientReply.Redirect && reply.Leader is not null && !request.Local)
                {
                    // Two nodes that each name the other, one of them not yet told of the new term, are waited out.
                    target = reply.Leader;
                    if (++redirects % 3 != 0)
                    {
                        continue;
                    }
                }
                else if (reply.Status != ClientReply.Unavailable || request.Local)
                {
                    return reply;
                }

                last = reply;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException && !deadline.IsCancellationRequested)
            {
                // The node is gone or not up yet: another may know the new leader.
                failure = e;
                await DropConnectionAsync();
                target = request.Local ? target : _nodes[_next++ % _nodes.Length];
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await Task.Delay(RetryDelay, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        return last ?? new ClientReply(ClientReply.Unavailable, Message: failure?.Message ?? $"no answer within {_timeout.TotalSeconds:0.#} s");
    }

    private async Task<Response> ExchangeAsync(string node, ClientRequest request, CancellationToken cancellationToken)
    {
        if (_client is null || _connectedTo != node)
        {
            await DropConnectionAsync();
            var options = new MessageClientOptions { ConnectTimeout = TimeSpan.FromSeconds(1), RequestTimeout = TimeSpan.FromSeconds(3) };
            _client = await MessageClient.ConnectAsync(NodeAddress.Parse(node), options, cancellationToken);
            _connectedTo = node;
        }

        byte[] content = JsonSerializer.SerializeToUtf8Bytes(request, WireJsonContext.Default.ClientRequest);
        Response response = await _client.SendAsync(ContentTypes.Json, ContentTypes.Utf8, content, cancellationToken: cancellationToken);
        return response.TryGetError(out ProtocolError error) ? throw new ProtocolException(error) : response;
    }

    private async ValueTask DropConnectionAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
            _client = null;
            _connectedTo = null;
        }
    }
}
