using ReplicatedLog.Raft;

namespace Framewire.Tests.Samples;

/// <summary>The election and replication rules of samples/ReplicatedLog, on RaftNode alone: no sockets, no disk, a clock the test moves.</summary>
public class RaftNodeTests
{
    private static readonly RaftTiming Timing = new();

    [Fact]
    public void Tick_ElectionTimeoutElapses_FollowerStandsInTheNextTermAndVotesForItself()
    {
        RaftNode node = NewNode("a", ["b", "c"]);
        var output = new RaftOutput();

        node.Tick(Timing.ElectionMinMilliseconds - 1, output);
        Assert.Equal(RaftRole.Follower, node.Role);

        node.Tick(Timing.ElectionMaxMilliseconds, output);

        Assert.Equal(RaftRole.Candidate, node.Role);
        Assert.Equal(1, node.CurrentTerm);
        Assert.Equal("a", node.VotedFor);
        Assert.True(output.StateChanged);
        Assert.Equal(["b", "c"], output.Messages.Select(m => m.To).Order());
        Assert.All(output.Messages, m => Assert.Equal(new VoteRequest(1, "a", 0, 0), m.Message));
    }

    [Fact]
    public void Tick_ElectionTimeouts_AreRandomizedWithinTheirRange()
    {
        var deadlines = new HashSet<long>();
        for (int seed = 0; seed < 20; seed++)
        {
            RaftNode node = NewNode("a", ["b", "c"], seed);
            long now = 0;
            var output = new RaftOutput();
            while (node.Role == RaftRole.Follower)
            {
                node.Tick(++now, output);
            }

            Assert.InRange(now, Timing.ElectionMinMilliseconds, Timing.ElectionMaxMilliseconds);
            deadlines.Add(now);
        }

        Assert.True(deadlines.Count > 5, $"only {deadlines.Count} distinct timeouts in 20 nodes");
    }

    [Fact]
    public void Receive_VoteRequest_GrantsOneVotePerTerm()
    {
        RaftNode voter = NewNode("a", ["b", "c"]);
        var output = new RaftOutput();

        voter.Receive(new VoteRequest(1, "b", 0, 0), 0, output);
        voter.Receive(new VoteRequest(1, "c", 0, 0), 0, output);
        voter.Receive(new VoteRequest(1, "b", 0, 0), 0, output);

        Assert.Equal("b", voter.VotedFor);
        Assert.Equal(
            [("b", new VoteResponse(1, "a", true)), ("c", new VoteResponse(1, "a", false)), ("b", new VoteResponse(1, "a", true))],
            output.Messages);

        // A new term frees the vote.
        output.Clear();
        voter.Receive(new VoteRequest(2, "c", 0, 0), 0, output);
        Assert.Equal(("c", new VoteResponse(2, "a", true)), Assert.Single(output.Messages));
        Assert.Equal("c", voter.VotedFor);
    }

    [Theory]
    [InlineData(1, 5, false)] // an older last term loses whatever its length
    [InlineData(2, 1, false)] // the same last term, a shorter log
    [InlineData(2, 2, true)] // the same log
    [InlineData(3, 1, true)] // a later last term wins even when shorter
    public void Receive_VoteRequest_GrantedOnlyToALogAtLeastAsUpToDate(long lastLogTerm, long lastLogIndex, bool granted)
    {
        // The voter's log: index 1 in term 1, index 2 in term 2.
        RaftNode voter = NewNode("a", ["b", "c"], state: new PersistentState(2, null, [Entry(1, "x"), Entry(2, "y")]));
        var output = new RaftOutput();

        voter.Receive(new VoteRequest(4, "b", lastLogIndex, lastLogTerm), 0, output);

        Assert.Equal(new VoteResponse(4, "a", granted), Assert.Single(output.Messages).Message);
        Assert.Equal(granted ? "b" : null, voter.VotedFor);
        Assert.Equal(4, voter.CurrentTerm);
    }

    [Fact]
    public void Receive_StaleTerm_RefusedWithTheCurrentTerm()
    {
        RaftNode node = NewNode("a", ["b", "c"], state: new PersistentState(5, null, []));
        var output = new RaftOutput();

        node.Receive(new VoteRequest(4, "b", 9, 4), 0, output);
        node.Receive(new AppendRequest(4, "b", 0, 0, [Entry(4, "k")], 0), 0, output);

        Assert.Equal([new VoteResponse(5, "a", false), new AppendResponse(5, "a", false, 0)], output.Messages.Select(m => m.Message));
        Assert.Equal(0, node.LastLogIndex);
        Assert.Null(node.LeaderId);
    }

    [Fact]
    public void Receive_MalformedOrFromAStranger_Ignored()
    {
        RaftNode node = NewNode("a", ["b", "c"], state: new PersistentState(1, null, [Entry(1, "x")]));
        var output = new RaftOutput();

        node.Receive(new AppendRequest(2, "b", -1, 0, [], 0), 0, output);
        node.Receive(new AppendRequest(2, "b", 0, 0, null!, 0), 0, output);
        node.Receive(new AppendRequest(2, "b", 0, 0, [new LogEntry(2, "k", null)], 0), 0, output);
        node.Receive(new AppendRequest(2, "b", 0, 0, [new LogEntry(3, "k", "v")], 0), 0, output);
        node.Receive(new VoteRequest(-1, "b", 0, 0), 0, output);
        node.Receive(new VoteRequest(9, "stranger", 5, 5), 0, output);

        Assert.False(output.HasWork);
        Assert.Equal(1, node.CurrentTerm);
        Assert.Equal(1, node.LastLogIndex);
    }

    [Fact]
    public void Receive_AppendResponseBeyondTheLeadersLog_Ignored()
    {
        var cluster = new Cluster("a", "b", "c");
        RaftNode leader = cluster.ElectLeader();
        string follower = cluster.Nodes.Keys.First(n => n != leader.Self);
        var output = new RaftOutput();

        leader.Receive(new AppendResponse(leader.CurrentTerm, follower, true, leader.LastLogIndex + 100), cluster.Now, output);
        leader.Receive(new AppendResponse(leader.CurrentTerm, follower, false, long.MaxValue - 1), cluster.Now, output);
        leader.Tick(cluster.Now + Timing.HeartbeatMilliseconds, output);

        Assert.Equal(leader.LastLogIndex, leader.CommitIndex);
        Assert.All(output.Messages, m => Assert.True(Assert.IsType<AppendRequest>(m.Message).PrevLogIndex <= leader.LastLogIndex));
    }

    [Fact]
    public void Receive_MessageOfALaterTerm_LeaderStepsDown()
    {
        var cluster = new Cluster("a", "b", "c");
        RaftNode leader = cluster.ElectLeader();
        string other = cluster.Nodes.Keys.First(n => n != leader.Self);
        var output = new RaftOutput();

        leader.Receive(new AppendResponse(leader.CurrentTerm + 1, other, false, 0), cluster.Now, output);

        Assert.Equal(RaftRole.Follower, leader.Role);
        Assert.Null(leader.VotedFor);
        Assert.True(output.StateChanged);
        Assert.Equal(0, leader.Propose("k", "v", output));
    }

    [Fact]
    public void Receive_MajorityOfVotes_BecomesLeaderAndAppendsAnEntryOfItsTerm()
    {
        RaftNode node = NewNode("a", ["b", "c"]);
        var output = new RaftOutput();
        node.Tick(Timing.ElectionMaxMilliseconds, output);
        output.Clear();

        node.Receive(new VoteResponse(1, "b", true), Timing.ElectionMaxMilliseconds, output);

        Assert.Equal(RaftRole.Leader, node.Role);
        Assert.Equal("a", node.LeaderId);
        Assert.Equal(LogEntry.NoOp(1), node.EntryAt(1));
        Assert.Equal(1, output.FirstChangedIndex);
        Assert.Equal(["b", "c"], output.Messages.Select(m => m.To).Order());
        Assert.All(output.Messages, m => Assert.Single(Assert.IsType<AppendRequest>(m.Message).Entries));
    }

    [Fact]
    public void Receive_VotesFromAMinority_StaysCandidate()
    {
        RaftNode node = NewNode("a", ["b", "c", "d", "e"]);
        var output = new RaftOutput();
        node.Tick(Timing.ElectionMaxMilliseconds, output);

        node.Receive(new VoteResponse(1, "b", true), 0, output);
        node.Receive(new VoteResponse(1, "b", true), 0, output);
        node.Receive(new VoteResponse(1, "c", false), 0, output);
        node.Receive(new VoteResponse(1, "x", true), 0, output);

        Assert.Equal(RaftRole.Candidate, node.Role);
    }

    [Fact]
    public void Receive_AppendWithoutThePreviousEntry_RefusedWithWhereTheLogEnds()
    {
        RaftNode follower = NewNode("a", ["b", "c"], state: new PersistentState(1, null, [Entry(1, "x")]));
        var output = new RaftOutput();

        follower.Receive(new AppendRequest(2, "b", 3, 2, [Entry(2, "z")], 0), 0, output);

        Assert.Equal(new AppendResponse(2, "a", false, 1), Assert.Single(output.Messages).Message);
        Assert.Equal(1, follower.LastLogIndex);
        Assert.Equal("b", follower.LeaderId);
    }

    [Fact]
    public void Receive_AppendConflictingWithUncommittedEntries_TruncatesThemAndTakesTheLeaders()
    {
        // Entries 2 and 3 of term 2 never committed; the leader of term 3 has another entry 2.
        RaftNode follower = NewNode("a", ["b", "c"], state: new PersistentState(2, null, [Entry(1, "x"), Entry(2, "old2"), Entry(2, "old3")]));
        var output = new RaftOutput();

        follower.Receive(new AppendRequest(3, "b", 1, 1, [Entry(3, "new2")], 2), 0, output);

        Assert.Equal(2, follower.LastLogIndex);
        Assert.Equal(Entry(3, "new2"), follower.EntryAt(2));
        Assert.Equal(2, output.FirstChangedIndex);
        Assert.Equal(new AppendResponse(3, "a", true, 2), Assert.Single(output.Messages).Message);
        Assert.Equal(2, follower.CommitIndex);
        Assert.Equal([1L, 2L], output.Committed.Select(c => c.Index));
        Assert.Equal("new2", output.Committed[1].Entry.Key);
    }

    [Fact]
    public void Receive_AppendWithAConflictingPreviousTerm_HintsTheStartOfThatTerm()
    {
        RaftNode follower = NewNode("a", ["b", "c"], state: new PersistentState(2, null, [Entry(1, "x"), Entry(2, "p"), Entry(2, "q"), Entry(2, "r")]));
        var output = new RaftOutput();

        follower.Receive(new AppendRequest(3, "b", 4, 3, [], 0), 0, output);

        // The whole of term 2 (indexes 2 to 4) is skipped: the leader next tries index 1 as the previous entry.
        Assert.Equal(new AppendResponse(3, "a", false, 1), Assert.Single(output.Messages).Message);
        Assert.Equal(4, follower.LastLogIndex);
    }

    [Fact]
    public void Receive_RepeatedAppend_ChangesNothing()
    {
        RaftNode follower = NewNode("a", ["b", "c"]);
        var output = new RaftOutput();
        var append = new AppendRequest(1, "b", 0, 0, [Entry(1, "x"), Entry(1, "y")], 0);
        follower.Receive(append, 0, output);
        output.Clear();

        follower.Receive(append with { Entries = [Entry(1, "x")] }, 0, output);

        Assert.Equal(2, follower.LastLogIndex);
        Assert.Equal(0, output.FirstChangedIndex);
    }

    [Fact]
    public void Propose_OnAFollower_RefusedWithTheLeaderToAsk()
    {
        var cluster = new Cluster("a", "b", "c");
        RaftNode leader = cluster.ElectLeader();
        RaftNode follower = cluster.Nodes.Values.First(n => n != leader);

        Assert.Equal(0, follower.Propose("k", "v", new RaftOutput()));
        Assert.Equal(leader.Self, follower.LeaderId);
    }

    [Fact]
    public void Propose_MajorityHoldsTheEntry_CommittedOnEveryNode()
    {
        var cluster = new Cluster("a", "b", "c");
        RaftNode leader = cluster.ElectLeader();

        long index = cluster.Propose(leader, "k", "v");
        cluster.Run(Timing.HeartbeatMilliseconds * 2);

        Assert.All(cluster.Nodes.Values, n => Assert.Equal(index, n.CommitIndex));
        Assert.All(cluster.Applied.Values, applied => Assert.Equal("v", applied["k"]));
    }

    [Fact]
    public void Propose_OneFollowerDown_StillCommitsWithTheOther()
    {
        var cluster = new Cluster("a", "b", "c");
        RaftNode leader = cluster.ElectLeader();
        cluster.Down.Add(cluster.Nodes.Keys.First(n => n != leader.Self));

        long index = cluster.Propose(leader, "k", "v");
        cluster.Run(Timing.HeartbeatMilliseconds * 2);

        Assert.Equal(index, leader.CommitIndex);
    }

    [Fact]
    public void Propose_LeaderCutOffFromTheMajority_NeverCommits()
    {
        var cluster = new Cluster("a", "b", "c", "d", "e");
        RaftNode leader = cluster.ElectLeader();
        long committed = leader.CommitIndex;
        string[] others = [.. cluster.Nodes.Keys.Where(n => n != leader.Self)];
        cluster.Partition([leader.Self, others[0]], [others[1], others[2], others[3]]);

        long index = cluster.Propose(leader, "lost", "v");
        cluster.Run(Timing.ElectionMaxMilliseconds * 4);

        Assert.Equal(committed, leader.CommitIndex);
        Assert.DoesNotContain(cluster.Applied.Values, a => a.ContainsKey("lost"));

        // The majority side elected a leader of its own, which commits; healed, the old leader's entry is replaced.
        RaftNode majorityLeader = Assert.Single(cluster.Nodes.Values, n => n.Role == RaftRole.Leader && n != leader);
        Assert.True(majorityLeader.CurrentTerm > leader.CurrentTerm);
        cluster.Propose(majorityLeader, "kept", "w");
        cluster.Heal();
        cluster.Run(Timing.ElectionMaxMilliseconds);

        Assert.Equal(RaftRole.Follower, leader.Role);
        Assert.NotEqual("lost", leader.EntryAt(index).Key);
        Assert.All(cluster.Applied.Values, a => Assert.Equal("w", a["kept"]));
        Assert.All(cluster.Applied.Values, a => Assert.False(a.ContainsKey("lost")));
    }

    [Fact]
    public void Receive_EntryOfAnEarlierTermOnAMajority_NotCommittedUntilAnEntryOfTheCurrentTerm()
    {
        // Raft's figure 8: the leader of term 4 finds its term-2 entry on a majority; counting copies alone would
        // commit it, yet a node with a term-3 entry at that index could still win an election and overwrite it.
        RaftNode leader = NewNode("a", ["b", "c"], state: new PersistentState(3, null, [Entry(1, "x"), Entry(2, "y")]));
        var output = new RaftOutput();
        leader.Tick(Timing.ElectionMaxMilliseconds, output);
        leader.Receive(new VoteResponse(4, "b", true), 0, output);
        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.Equal(3, leader.LastLogIndex); // the no-op of term 4 at index 3
        output.Clear();

        leader.Receive(new AppendResponse(4, "b", true, 2), 0, output);
        Assert.Equal(0, leader.CommitIndex);
        Assert.Empty(output.Committed);

        leader.Receive(new AppendResponse(4, "b", true, 3), 0, output);
        Assert.Equal(3, leader.CommitIndex);
        Assert.Equal([1L, 2L, 3L], output.Committed.Select(c => c.Index));
    }

    [Fact]
    public void Cluster_LeaderDiesAndComesBack_NewLeaderKeepsEveryCommittedEntryAndTheOldOneCatchesUp()
    {
        var cluster = new Cluster("a", "b", "c");
        RaftNode first = cluster.ElectLeader();
        for (int i = 0; i < 300; i++)
        {
            cluster.Propose(first, $"k{i}", $"v{i}");
        }

        cluster.Run(Timing.HeartbeatMilliseconds * 2);
        cluster.Down.Add(first.Self);
        cluster.Run(Timing.ElectionMaxMilliseconds * 3);
        RaftNode second = Assert.Single(cluster.Nodes.Values, n => n.Role == RaftRole.Leader && n != first);
        for (int i = 300; i < 600; i++)
        {
            cluster.Propose(second, $"k{i}", $"v{i}");
        }

        cluster.Run(Timing.HeartbeatMilliseconds * 2);
        cluster.Restart(first.Self);
        cluster.Run(Timing.ElectionMaxMilliseconds * 2);

        Assert.All(cluster.Nodes.Values, n => Assert.Equal(second.CommitIndex, n.CommitIndex));
        foreach (Dictionary<string, string> applied in cluster.Applied.Values)
        {
            Assert.Equal(600, applied.Count);
            Assert.Equal("v599", applied["k599"]);
        }
    }

    private static RaftNode NewNode(string self, string[] peers, int seed = 1, PersistentState? state = null) =>
        new(self, peers, state ?? PersistentState.Empty, Timing, new Random(seed), 0);

    private static LogEntry Entry(long term, string key) => new(term, key, key);

    /// <summary>Nodes whose messages the test delivers, a millisecond at a time, with nodes down or partitioned at will.</summary>
    private sealed class Cluster
    {
        private readonly Queue<(string From, string To, RaftMessage Message)> _inFlight = new();
        private readonly Dictionary<string, int> _side = [];
        private int _seed;

        public Cluster(params string[] names)
        {
            foreach (string name in names)
            {
                Nodes[name] = new RaftNode(name, [.. names.Where(n => n != name)], PersistentState.Empty, Timing, new Random(++_seed), 0);
                Applied[name] = [];
            }
        }

        public Dictionary<string, RaftNode> Nodes { get; } = [];

        public Dictionary<string, Dictionary<string, string>> Applied { get; } = [];

        public HashSet<string> Down { get; } = [];

        public long Now { get; private set; }

        public RaftNode ElectLeader()
        {
            for (int i = 0; i < Timing.ElectionMaxMilliseconds * 10; i++)
            {
                Step();
                RaftNode? leader = Nodes.Values.FirstOrDefault(n => n.Role == RaftRole.Leader && !Down.Contains(n.Self));
                if (leader is not null && leader.CommitIndex == leader.LastLogIndex)
                {
                    return leader;
                }
            }

            throw new InvalidOperationException("No leader was elected.");
        }

        public long Propose(RaftNode leader, string key, string value)
        {
            var output = new RaftOutput();
            long index = leader.Propose(key, value, output);
            Assert.NotEqual(0, index);
            Carry(leader, output);
            return index;
        }

        public void Partition(string[] one, string[] other)
        {
            foreach (string name in one)
            {
                _side[name] = 1;
            }

            foreach (string name in other)
            {
                _side[name] = 2;
            }
        }

        public void Heal() => _side.Clear();

        /// <summary>A node that was down comes back with what it had persisted: its term, vote and log, nothing else.</summary>
        public void Restart(string name)
        {
            RaftNode old = Nodes[name];
            var log = new List<LogEntry>();
            for (long i = 1; i <= old.LastLogIndex; i++)
            {
                log.Add(old.EntryAt(i));
            }

            Nodes[name] = new RaftNode(name, old.Peers, new PersistentState(old.CurrentTerm, old.VotedFor, log), Timing, new Random(++_seed), Now);
            Applied[name] = [];
            Down.Remove(name);
        }

        public void Run(long milliseconds)
        {
            for (long i = 0; i < milliseconds; i++)
            {
                Step();
            }
        }

        private void Step()
        {
            Now++;
            for (int pending = _inFlight.Count; pending > 0; pending--)
            {
                (string from, string to, RaftMessage message) = _inFlight.Dequeue();
                if (Down.Contains(to) || Down.Contains(from) || (_side.Count > 0 && _side[from] != _side[to]))
                {
                    continue;
                }

                var output = new RaftOutput();
                Nodes[to].Receive(message, Now, output);
                Carry(Nodes[to], output);
            }

            foreach (RaftNode node in Nodes.Values.ToArray())
            {
                if (!Down.Contains(node.Self))
                {
                    var output = new RaftOutput();
                    node.Tick(Now, output);
                    Carry(node, output);
                }
            }
        }

        private void Carry(RaftNode node, RaftOutput output)
        {
            foreach ((string to, RaftMessage message) in output.Messages)
            {
                _inFlight.Enqueue((node.Self, to, message));
            }

            foreach ((_, LogEntry entry) in output.Committed)
            {
                if (entry.Key is not null)
                {
                    Applied[node.Self][entry.Key] = entry.Value!;
                }
            }
        }
    }
}
