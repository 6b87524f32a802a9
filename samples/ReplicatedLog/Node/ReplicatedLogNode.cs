using System.Text.Json;
using Framewire.Apps;
using Framewire.Client;
using Framewire.Engines;
using Framewire.Protocol;
using ReplicatedLog.Raft;
using ReplicatedLog.Storage;
using ReplicatedLog.Wire;

namespace ReplicatedLog.Node;

/// <summary>
/// One node on the network: a <see cref="MessageServer"/> whose frames go into an <see cref="IngressQueue"/>, a
/// <see cref="PeerLink"/> to each peer, and one loop that owns the <see cref="RaftNode"/>, the file and the key-value
/// table. The loop takes what has arrived, runs the timers on the queue's tick, writes and syncs what changed, and
/// only then sends and answers: nothing leaves the node that its disk does not yet hold.
/// </summary>
internal sealed class ReplicatedLogNode : IAsyncDisposable
{
    // A tenth of the 50 ms heartbeat: timers fire at most 5 ms late, and an idle node wakes 200 times a second.
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(5);

    // Messages taken before the loop writes, syncs and sends: the puts that arrive during one fsync (1.5–2 ms here)
    // share the next one, which is what lets throughput grow with the number of clients.
    private const int MaxBatch = 256;

    // A put not committed in this time is answered unavailable; the client may send it again.
    private const long WriteTimeoutMilliseconds = 5_000;

    // The queue holds at most this many frames; beyond it, the server stops reading from the connections.
    private const int IngressCapacity = 1024;

    // A peer that comes back is reached within half a second, about one election timeout, rather than after the
    // default's backoff of up to 5 s: a restarted node starts catching up while its first election timer runs.
    private static readonly RetryPolicy PeerReconnect = new() { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(500) };

    private readonly NodeSettings _settings;
    private readonly TextWriter _stdout;
    private readonly NodeStorage _storage;
    private readonly RaftNode _raft;
    private readonly IngressQueue _ingress;
    private readonly MessageServer _server;
    private readonly Dictionary<string, PeerLink> _links;
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly List<PendingWrite> _pending = [];
    private readonly RaftOutput _output = new();
    private readonly JsonScratch _json = new();
    private (RaftRole Role, long Term, string? Leader) _shown = (RaftRole.Follower, -1, null);

    private ReplicatedLogNode(NodeSettings settings, TextWriter stdout, NodeStorage storage, IngressQueue ingress, MessageServer server, Dictionary<string, PeerLink> links)
    {
        _settings = settings;
        _stdout = stdout;
        _storage = storage;
        _ingress = ingress;
        _server = server;
        _links = links;
        _raft = new RaftNode(settings.Listen, settings.Peers, storage.State, new RaftTiming(), new Random(), Environment.TickCount64);
    }

    /// <summary>Reads the node's file, starts listening and opens the links to its peers.</summary>
    public static async Task<ReplicatedLogNode> StartAsync(NodeSettings settings, TextWriter stdout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(stdout);
        NodeStorage storage = NodeStorage.Open(settings.DataDirectory, settings.Id);
        var ingress = new IngressQueue(IngressCapacity);
        var server = new MessageServer(ingress, new MessageServerOptions { EndPoint = NodeAddress.Parse(settings.Listen) });
        try
        {
            await server.StartAsync(cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            storage.Dispose();
            throw;
        }

        var links = new Dictionary<string, PeerLink>(StringComparer.Ordinal);
        foreach (string peer in settings.Peers)
        {
            var link = new PeerLink(new PeerLinkOptions
            {
                Name = peer,
                EndPoint = NodeAddress.Parse(peer),
                ConnectTimeout = TimeSpan.FromSeconds(1),
                Reconnect = PeerReconnect,
            });
            link.Start();
            links[peer] = link;
        }

        await stdout.WriteLineAsync(
            $"node {settings.Id} listening on {settings.Listen}: term {storage.State.CurrentTerm}, {storage.State.Log.Count} entries in {storage.Path}");
        return new ReplicatedLogNode(settings, stdout, storage, ingress, server, links);
    }

    /// <summary>Runs the node until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            IncomingMessage? message;
            try
            {
                message = await _ingress.ReadAsync(Tick, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            long now = Environment.TickCount64;
            for (int taken = 0; message is not null; taken++)
            {
                Handle(message, now);
                if (taken == MaxBatch || !_ingress.Reader.TryRead(out message))
                {
                    break;
                }
            }

            _raft.Tick(now, _output);
            Flush(now);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (PendingWrite write in _pending)
        {
            write.Request.ReplyError(ErrorCode.ShuttingDown, "The node is stopping.");
            write.Request.Dispose();
        }

        _pending.Clear();
        foreach (PeerLink link in _links.Values)
        {
            await link.DisposeAsync();
        }

        // Frames the server took while it stops still need answers: a connection with a frame unanswered is never
        // done, and the server's stop would wait for it.
        Task stopping = _server.StopAsync();
        while (!stopping.IsCompleted)
        {
            IncomingMessage? message = await _ingress.ReadAsync(Tick);
            if (message is not null)
            {
                message.ReplyError(ErrorCode.ShuttingDown, "The node is stopping.");
                message.Dispose();
            }
        }

        await stopping;
        await _server.DisposeAsync();
        _json.Dispose();
        _storage.Dispose();
    }

    private void Handle(IncomingMessage message, long now)
    {
        if (message.Header.ContentType == WireTypes.Raft)
        {
            RaftMessage? raft = TryRead(message, WireJsonContext.Default.RaftMessage);
            if (raft is not null)
            {
                // The Raft answer, if any, travels back as a message of its own: the frame gets an empty receipt.
                message.Reply(WireTypes.Raft, ContentTypes.Utf8, []);
                _raft.Receive(raft, now, _output);
            }

            message.Dispose();
            return;
        }

        if (message.Header.ContentType != ContentTypes.Json)
        {
            message.ReplyError(ErrorCode.InvalidRequest, $"A node takes {ContentTypes.Json} from clients and {WireTypes.Raft} from its peers.");
            message.Dispose();
            return;
        }

        ClientRequest? request = TryRead(message, WireJsonContext.Default.ClientRequest);
        if (request is null)
        {
            message.Dispose();
            return;
        }

        switch (request.Action)
        {
            case ClientRequest.Put when request.Key is not null && request.Value is not null:
                long index = _raft.Propose(request.Key, request.Value, _output);
                if (index == 0)
                {
                    Answer(message, NotLeader());
                    return;
                }

                // Answered once committed, or once this node is no longer the leader that appended it.
                _pending.Add(new PendingWrite(index, _raft.CurrentTerm, message, now + WriteTimeoutMilliseconds));
                return;
            case ClientRequest.Get when request.Key is not null:
                Answer(message, request.Local || IsReadyLeader() ? Read(request.Key) : NotLeader());
                return;
            case ClientRequest.Status:
                message.Reply(ContentTypes.Json, ContentTypes.Utf8, _json.Write(Status(), WireJsonContext.Default.StatusReply).Span);
                message.Dispose();
                return;
            default:
                message.ReplyError(ErrorCode.InvalidAction, "The action is put with a key and a value, get with a key, or status.");
                message.Dispose();
                return;
        }
    }

    private void Flush(long now)
    {
        if (!_output.HasWork && _pending.Count == 0)
        {
            ShowRole();
            return;
        }

        // The term, the vote and the entries this round promises are on disk before any message or answer says so.
        // A leader whose term and vote did not change promises nothing in its appends, so it sends them first and
        // syncs while they travel: a put then waits for the two fsyncs side by side, not one after the other. The
        // leader still counts its own copy only in a later round, after this sync.
        bool sendFirst = _raft.Role == RaftRole.Leader && !_output.StateChanged;
        if (sendFirst)
        {
            Send();
        }

        _storage.Save(_raft, _output);
        if (!sendFirst)
        {
            Send();
        }

        foreach ((_, LogEntry entry) in _output.Committed)
        {
            if (entry.Key is not null)
            {
                _values[entry.Key] = entry.Value!;
            }
        }

        _output.Clear();
        AnswerPendingWrites(now);
        ShowRole();
    }

    private void Send()
    {
        foreach ((string to, RaftMessage message) in _output.Messages)
        {
            // A full queue drops the message, as a lost packet would: Raft sends again on the next heartbeat.
            _links[to].TrySend(WireTypes.Raft, ContentTypes.Utf8, _json.Write(message, WireJsonContext.Default.RaftMessage));
        }
    }

    private void AnswerPendingWrites(long now)
    {
        for (int i = _pending.Count - 1; i >= 0; i--)
        {
            PendingWrite write = _pending[i];
            ClientReply? reply = null;
            if (write.Index <= _raft.CommitIndex)
            {
                // Committed at its index, but only this entry if the term there is still the one it was appended in.
                reply = _raft.TermAt(write.Index) == write.Term
                    ? new ClientReply(ClientReply.Ok)
                    : new ClientReply(ClientReply.Unavailable, Message: "another leader's entry took its place");
            }
            else if (_raft.Role != RaftRole.Leader || _raft.CurrentTerm != write.Term)
            {
                reply = _raft.LeaderId is null
                    ? new ClientReply(ClientReply.Unavailable, Message: "the leader stepped down before the write committed; it may still commit")
                    : new ClientReply(ClientReply.Redirect, Leader: _raft.LeaderId, Message: "the leader stepped down before the write committed");
            }
            else if (now >= write.Deadline)
            {
                reply = new ClientReply(ClientReply.Unavailable, Message: "no majority acknowledged the write in time");
            }

            if (reply is not null)
            {
                Answer(write.Request, reply);
                _pending.RemoveAt(i);
            }
        }
    }

    /// <summary>A leader answers reads once an entry of its own term is committed: from then on it holds every committed write.</summary>
    private bool IsReadyLeader() => _raft.Role == RaftRole.Leader && _raft.CommitIndex > 0 && _raft.TermAt(_raft.CommitIndex) == _raft.CurrentTerm;

    private ClientReply NotLeader() => _raft.LeaderId is { } leader && leader != _raft.Self
        ? new ClientReply(ClientReply.Redirect, Leader: leader)
        : new ClientReply(ClientReply.Unavailable, Message: $"no leader yet (term {_raft.CurrentTerm}, {_raft.Role.ToString().ToLowerInvariant()})");

    private ClientReply Read(string key) => _values.TryGetValue(key, out string? value)
        ? new ClientReply(ClientReply.Ok, Value: value)
        : new ClientReply(ClientReply.NotFound);

    private StatusReply Status()
    {
        var peers = new List<PeerStatus>(_raft.Peers.Count);
        foreach (string peer in _raft.Peers)
        {
            PeerLinkSnapshot link = _links[peer].GetSnapshot();
            peers.Add(new PeerStatus(
                peer,
                _raft.Role == RaftRole.Leader ? _raft.MatchIndexOf(peer) : null,
                link.State.ToString().ToLowerInvariant(),
                link.Sent,
                link.Queued,
                link.Reconnects,
                link.LastError));
        }

        return new StatusReply(_settings.Id, _raft.Self, _raft.Role.ToString().ToLowerInvariant(), _raft.CurrentTerm, _raft.LeaderId, _raft.CommitIndex, _raft.LastLogIndex, _storage.Syncs, peers);
    }

    private void Answer(IncomingMessage message, ClientReply reply)
    {
        message.Reply(ContentTypes.Json, ContentTypes.Utf8, _json.Write(reply, WireJsonContext.Default.ClientReply).Span);
        message.Dispose();
    }

    private static T? TryRead<T>(IncomingMessage message, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        if (!string.Equals(message.Header.ContentEncoding, ContentTypes.Utf8, StringComparison.OrdinalIgnoreCase))
        {
            message.ReplyError(ErrorCode.UnsupportedEncoding, $"The node reads {ContentTypes.Utf8} content only.");
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(message.Content.Span, type)
                ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            message.ReplyError(ErrorCode.ContentNotJson, $"Not a {typeof(T).Name}: {e.Message}");
            return null;
        }
    }

    private void ShowRole()
    {
        (RaftRole, long, string?) now = (_raft.Role, _raft.CurrentTerm, _raft.LeaderId);
        if (now == _shown)
        {
            return;
        }

        _shown = now;
        string leader = _raft.Role == RaftRole.Follower && _raft.LeaderId is not null ? ", leader " + _raft.LeaderId : string.Empty;
        _stdout.WriteLine($"term {_raft.CurrentTerm}: {_raft.Role.ToString().ToLowerInvariant()}{leader}");
    }
}
