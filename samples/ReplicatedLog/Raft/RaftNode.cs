namespace ReplicatedLog.Raft;

/// <summary>
/// The Raft algorithm for one node, with no sockets, no disk and no clock of its own: its owner feeds it messages,
/// clients' proposals and the time, and carries out what each step leaves in a <see cref="RaftOutput"/>. Not thread
/// safe: one loop owns it, as the tutorial's node logic owns its <c>ingress_queue</c>.
/// </summary>
/// <remarks>
/// Indexes start at 1; index 0 is the empty log's "previous entry", of term 0. Nodes name one another by the address
/// they listen on, so that a follower can send a client to its leader.
/// </remarks>
internal sealed class RaftNode
{
    private readonly string[] _peers;
    private readonly RaftTiming _timing;
    private readonly Random _random;
    private readonly List<LogEntry> _log;
    private readonly Dictionary<string, long> _nextIndex = [];
    private readonly Dictionary<string, long> _matchIndex = [];
    private readonly HashSet<string> _votes = [];
    private long _electionDeadline;
    private long _heartbeatDeadline;
    private long _lastApplied;

    public RaftNode(string self, IReadOnlyList<string> peers, PersistentState state, RaftTiming timing, Random random, long now)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(state);
        Self = self;
        _peers = [.. peers];
        _timing = timing;
        _random = random;
        CurrentTerm = state.CurrentTerm;
        VotedFor = state.VotedFor;
        _log = [.. state.Log];
        foreach (string peer in _peers)
        {
            _nextIndex[peer] = 1;
            _matchIndex[peer] = 0;
        }

        ResetElectionTimer(now);
    }

    public string Self { get; }

    public IReadOnlyList<string> Peers => _peers;

    public RaftRole Role { get; private set; }

    public long CurrentTerm { get; private set; }

    public string? VotedFor { get; private set; }

    /// <summary>The leader of the current term when this node knows it (itself when it leads).</summary>
    public string? LeaderId { get; private set; }

    /// <summary>The last index known to be on a majority's disks. Not persisted: a restarted node learns it again from its leader.</summary>
    public long CommitIndex { get; private set; }

    public long LastLogIndex => _log.Count;

    public long LastLogTerm => TermAt(_log.Count);

    /// <summary>A majority of the cluster, this node included: 2 of 3.</summary>
    private int Majority => ((_peers.Length + 1) / 2) + 1;

    public LogEntry EntryAt(long index) => _log[(int)index - 1];

    public long TermAt(long index) => index == 0 ? 0 : _log[(int)index - 1].Term;

    /// <summary>As the leader knows it: the last index <paramref name="peer"/> holds as the leader does.</summary>
    public long MatchIndexOf(string peer) => _matchIndex[peer];

    /// <summary>
    /// Runs the timers: a follower or candidate that heard no leader and granted no vote within its election timeout
    /// stands for election; a leader sends heartbeats when they are due, and to each follower the entries it lacks.
    /// </summary>
    public void Tick(long now, RaftOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Role == RaftRole.Leader)
        {
            bool heartbeat = now >= _heartbeatDeadline;
            if (heartbeat)
            {
                _heartbeatDeadline = now + _timing.HeartbeatMilliseconds;
            }

            foreach (string peer in _peers)
            {
                Replicate(peer, heartbeat, output);
            }
        }
        else if (now >= _electionDeadline)
        {
            StartElection(now, output);
        }
    }

    /// <summary>
    /// Appends a client's write when this node leads, and returns its index: the write is done once that index is
    /// committed with this entry still in it. Returns 0 on a follower or candidate; <see cref="LeaderId"/> says where
    /// to go instead.
    /// </summary>
    public long Propose(string key, string value, RaftOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Role != RaftRole.Leader)
        {
            return 0;
        }

        Append(new LogEntry(CurrentTerm, key, value), output);
        AdvanceCommitIndex(output);
        return LastLogIndex;
    }

    public void Receive(RaftMessage message, long now, RaftOutput output)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        if (!_nextIndex.ContainsKey(message.From) || !IsWellFormed(message))
        {
            // Not a member of this cluster, or not a message one would send: its term and its vote count for nothing.
            return;
        }

        // A later term, from anyone, ends whatever this node was doing in its own.
        if (message.Term > CurrentTerm)
        {
            CurrentTerm = message.Term;
            VotedFor = null;
            LeaderId = null;
            Role = RaftRole.Follower;
            output.StateChanged = true;
        }

        switch (message)
        {
            case VoteRequest request:
                OnVoteRequest(request, now, output);
                break;
            case VoteResponse response:
                OnVoteResponse(response, now, output);
                break;
            case AppendRequest request:
                OnAppendRequest(request, now, output);
                break;
            case AppendResponse response:
                OnAppendResponse(response, output);
                break;
        }
    }

    /// <summary>Indexes and terms a node could send: none negative, and every entry a no-op or a key with a value.</summary>
    private static bool IsWellFormed(RaftMessage message)
    {
        if (message.Term < 0)
        {
            return false;
        }

        switch (message)
        {
            case VoteRequest vote:
                return vote.LastLogIndex >= 0 && vote.LastLogTerm >= 0;
            case AppendRequest append:
                if (append.PrevLogIndex < 0 || append.PrevLogTerm < 0 || append.LeaderCommit < 0 || append.Entries is null)
                {
                    return false;
                }

                foreach (LogEntry? entry in append.Entries)
                {
                    if (entry is null || entry.Term > append.Term || (entry.Key is null) != (entry.Value is null))
                    {
                        return false;
                    }
                }

                return true;
            case AppendResponse response:
                return response.MatchIndex >= 0;
            default:
                return true;
        }
    }

    private void OnVoteRequest(VoteRequest request, long now, RaftOutput output)
    {
        // One vote per term, and only for a candidate whose log holds at least everything this one does: a leader
        // must hold every committed entry, and a majority holds each of them.
        bool upToDate = request.LastLogTerm > LastLogTerm || (request.LastLogTerm == LastLogTerm && request.LastLogIndex >= LastLogIndex);
        bool granted = request.Term == CurrentTerm && (VotedFor is null || VotedFor == request.From) && upToDate;
        if (granted)
        {
            if (VotedFor is null)
            {
                VotedFor = request.From;
                output.StateChanged = true;
            }

            ResetElectionTimer(now);
        }

        output.Messages.Add((request.From, new VoteResponse(CurrentTerm, Self, granted)));
    }

    private void OnVoteResponse(VoteResponse response, long now, RaftOutput output)
    {
        if (Role != RaftRole.Candidate || response.Term != CurrentTerm || !response.Granted)
        {
            return;
        }

        _votes.Add(response.From);
        if (_votes.Count >= Majority)
        {
            BecomeLeader(now, output);
        }
    }

    private void OnAppendRequest(AppendRequest request, long now, RaftOutput output)
    {
        if (request.Term < CurrentTerm)
        {
            output.Messages.Add((request.From, new AppendResponse(CurrentTerm, Self, Success: false, MatchIndex: 0)));
            return;
        }

        // The leader of this term: a candidate that lost the election goes back to following.
        Role = RaftRole.Follower;
        LeaderId = request.From;
        ResetElectionTimer(now);

        if (request.PrevLogIndex > LastLogIndex)
        {
            output.Messages.Add((request.From, new AppendResponse(CurrentTerm, Self, Success: false, MatchIndex: LastLogIndex)));
            return;
        }

        long prevTerm = TermAt(request.PrevLogIndex);
        if (prevTerm != request.PrevLogTerm)
        {
            // Skip the whole conflicting term in one answer rather than one entry per round trip.
            long first = request.PrevLogIndex;
            while (first > 1 && TermAt(first - 1) == prevTerm)
            {
                first--;
            }

            output.Messages.Add((request.From, new AppendResponse(CurrentTerm, Self, Success: false, MatchIndex: first - 1)));
            return;
        }

        for (int i = 0; i < request.Entries.Count; i++)
        {
            long index = request.PrevLogIndex + 1 + i;
            LogEntry entry = request.Entries[i];
            if (index <= LastLogIndex)
            {
                if (TermAt(index) == entry.Term)
                {
                    // The same index and term hold the same entry (log matching): a repeated append changes nothing.
                    continue;
                }

                if (index <= CommitIndex)
                {
                    // No leader of a later term can lack a committed entry; refuse rather than lose one.
                    output.Messages.Add((request.From, new AppendResponse(CurrentTerm, Self, Success: false, MatchIndex: CommitIndex)));
                    return;
                }

                _log.RemoveRange((int)index - 1, _log.Count - ((int)index - 1));
            }

            _log.Add(entry);
            output.LogChangedFrom(index);
        }

        long matched = request.PrevLogIndex + request.Entries.Count;
        if (request.LeaderCommit > CommitIndex)
        {
            SetCommitIndex(Math.Min(request.LeaderCommit, matched), output);
        }

        output.Messages.Add((request.From, new AppendResponse(CurrentTerm, Self, Success: true, MatchIndex: matched)));
    }

    private void OnAppendResponse(AppendResponse response, RaftOutput output)
    {
        if (Role != RaftRole.Leader || response.Term != CurrentTerm || !_matchIndex.TryGetValue(response.From, out long match))
        {
            return;
        }

        if (response.MatchIndex > LastLogIndex)
        {
            // A follower cannot hold more of this leader's term than the leader has appended.
            return;
        }

        if (response.Success)
        {
            if (response.MatchIndex > match)
            {
                _matchIndex[response.From] = response.MatchIndex;
                _nextIndex[response.From] = Math.Max(_nextIndex[response.From], response.MatchIndex + 1);
                AdvanceCommitIndex(output);
            }

            return;
        }

        // Entries were sent ahead of answers: go back to where the follower's log agrees, and resend from there.
        _nextIndex[response.From] = Math.Clamp(response.MatchIndex + 1, match + 1, LastLogIndex + 1);
        Replicate(response.From, force: true, output);
    }

    private void StartElection(long now, RaftOutput output)
    {
        CurrentTerm++;
        Role = RaftRole.Candidate;
        VotedFor = Self;
        LeaderId = null;
        output.StateChanged = true;
        _votes.Clear();
        _votes.Add(Self);
        ResetElectionTimer(now);
        if (_votes.Count >= Majority)
        {
            BecomeLeader(now, output);
            return;
        }

        foreach (string peer in _peers)
        {
            output.Messages.Add((peer, new VoteRequest(CurrentTerm, Self, LastLogIndex, LastLogTerm)));
        }
    }

    private void BecomeLeader(long now, RaftOutput output)
    {
        Role = RaftRole.Leader;
        LeaderId = Self;
        foreach (string peer in _peers)
        {
            _nextIndex[peer] = LastLogIndex + 1;
            _matchIndex[peer] = 0;
        }

        // Entries of earlier terms are committed only by counting an entry of this term (Raft §5.4.2): this one.
        Append(LogEntry.NoOp(CurrentTerm), output);
        AdvanceCommitIndex(output);
        _heartbeatDeadline = now + _timing.HeartbeatMilliseconds;
        foreach (string peer in _peers)
        {
            Replicate(peer, force: true, output);
        }
    }

    private void Append(LogEntry entry, RaftOutput output)
    {
        _log.Add(entry);
        output.LogChangedFrom(LastLogIndex);
    }

    /// <summary>
    /// Sends <paramref name="peer"/> the entries from its next index, as many as one message and the in-flight limit
    /// allow; with <paramref name="force"/>, an empty append (a heartbeat) when there is nothing to send.
    /// </summary>
    private void Replicate(string peer, bool force, RaftOutput output)
    {
        long next = _nextIndex[peer];
        long inFlight = next - 1 - _matchIndex[peer];
        int count = (int)Math.Min(LastLogIndex - next + 1, _timing.MaxEntriesPerAppend);
        if (inFlight >= _timing.MaxEntriesInFlight)
        {
            count = 0;
        }

        if (count <= 0 && !force)
        {
            return;
        }

        count = Math.Max(count, 0);
        LogEntry[] entries = count == 0 ? [] : _log.GetRange((int)next - 1, count).ToArray();
        output.Messages.Add((peer, new AppendRequest(CurrentTerm, Self, next - 1, TermAt(next - 1), entries, CommitIndex)));

        // Sent ahead of the answer: a follower that lost these says so to the next append, and the leader goes back.
        _nextIndex[peer] = next + count;
    }

    private void AdvanceCommitIndex(RaftOutput output)
    {
        for (long index = LastLogIndex; index > CommitIndex; index--)
        {
            // An entry of an earlier term is never committed by counting its copies: a later leader could still
            // overwrite it (Raft figure 8). It commits with the first entry of this term that a majority holds.
            if (TermAt(index) != CurrentTerm)
            {
                return;
            }

            int copies = 1;
            foreach (string peer in _peers)
            {
                if (_matchIndex[peer] >= index)
                {
                    copies++;
                }
            }

            if (copies >= Majority)
            {
                SetCommitIndex(index, output);
                return;
            }
        }
    }

    private void SetCommitIndex(long index, RaftOutput output)
    {
        if (index <= CommitIndex)
        {
            return;
        }

        CommitIndex = index;
        for (long applied = _lastApplied + 1; applied <= CommitIndex; applied++)
        {
            output.Committed.Add((applied, EntryAt(applied)));
        }

        _lastApplied = CommitIndex;
    }

    private void ResetElectionTimer(long now) =>
        _electionDeadline = now + _random.NextInt64(_timing.ElectionMinMilliseconds, _timing.ElectionMaxMilliseconds + 1);
}
