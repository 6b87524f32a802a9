using ReplicatedLog.Raft;
using ReplicatedLog.Storage;

namespace Framewire.Tests.Samples;

/// <summary>samples/ReplicatedLog's file of term, vote and log, read back as a restarted node reads it.</summary>
public sealed class NodeStorageTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "framewire-raft-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Open_AfterSave_KeepsTermVoteAndLog()
    {
        using (NodeStorage storage = NodeStorage.Open(_directory, 1))
        {
            Assert.Equal(0, storage.State.CurrentTerm);
            Assert.Null(storage.State.VotedFor);
            Assert.Empty(storage.State.Log);
            RaftNode node = LeaderOf(storage.State);
            var output = new RaftOutput();
            node.Tick(1_000, output);
            node.Receive(new VoteResponse(1, "b", true), 1_000, output);
            node.Propose("k1", "v1", output);
            node.Propose("k2", "v2", output);
            storage.Save(node, output);
        }

        using NodeStorage reopened = NodeStorage.Open(_directory, 1);

        Assert.Equal(1, reopened.State.CurrentTerm);
        Assert.Equal("a", reopened.State.VotedFor);
        Assert.Equal([LogEntry.NoOp(1), new LogEntry(1, "k1", "v1"), new LogEntry(1, "k2", "v2")], reopened.State.Log);
    }

    [Fact]
    public void Open_AfterEntriesWereReplaced_HasOnlyTheReplacements()
    {
        using (NodeStorage storage = NodeStorage.Open(_directory, 2))
        {
            var node = new RaftNode("a", ["b", "c"], storage.State, new RaftTiming(), new Random(1), 0);
            var output = new RaftOutput();
            node.Receive(new AppendRequest(1, "b", 0, 0, [new LogEntry(1, "x", "1"), new LogEntry(1, "y", "2"), new LogEntry(1, "z", "3")], 0), 0, output);
            storage.Save(node, output);
            output.Clear();
            node.Receive(new AppendRequest(2, "c", 1, 1, [new LogEntry(2, "w", "4")], 0), 0, output);
            storage.Save(node, output);
        }

        using NodeStorage reopened = NodeStorage.Open(_directory, 2);

        Assert.Equal(2, reopened.State.CurrentTerm);
        Assert.Null(reopened.State.VotedFor);
        Assert.Equal([new LogEntry(1, "x", "1"), new LogEntry(2, "w", "4")], reopened.State.Log);
    }

    [Fact]
    public void Open_LastLineCutShort_DropsItAndAppendsAfterTheLastWholeLine()
    {
        using (NodeStorage storage = NodeStorage.Open(_directory, 3))
        {
            var node = new RaftNode("a", ["b", "c"], storage.State, new RaftTiming(), new Random(1), 0);
            var output = new RaftOutput();
            node.Receive(new AppendRequest(1, "b", 0, 0, [new LogEntry(1, "x", "1")], 0), 0, output);
            storage.Save(node, output);
        }

        string path = Path.Combine(_directory, "node-3.raft");
        File.AppendAllText(path, "{\"record\":\"entry\",\"index\":2,\"te");
        using (NodeStorage storage = NodeStorage.Open(_directory, 3))
        {
            Assert.Equal([new LogEntry(1, "x", "1")], storage.State.Log);
            var node = new RaftNode("a", ["b", "c"], storage.State, new RaftTiming(), new Random(1), 0);
            var output = new RaftOutput();
            node.Receive(new AppendRequest(1, "b", 1, 1, [new LogEntry(1, "y", "2")], 0), 0, output);
            storage.Save(node, output);
        }

        using NodeStorage reopened = NodeStorage.Open(_directory, 3);
        Assert.Equal([new LogEntry(1, "x", "1"), new LogEntry(1, "y", "2")], reopened.State.Log);
    }

    [Theory]
    [InlineData("not json\n{\"record\":\"state\",\"term\":1}\n")]
    [InlineData("{\"record\":\"entry\",\"index\":5,\"term\":1,\"key\":\"k\",\"value\":\"v\"}\n")]
    public void Open_DamagedFile_RefusedWithTheLine(string content)
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "node-4.raft"), content);

        InvalidDataException e = Assert.Throws<InvalidDataException>(() => NodeStorage.Open(_directory, 4));

        Assert.Contains("line 1", e.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static RaftNode LeaderOf(PersistentState state) => new("a", ["b", "c"], state, new RaftTiming(), new Random(1), 0);
}
