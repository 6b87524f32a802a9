using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Framewire.Tests.Support;
using ReplicatedLog.Client;
using ReplicatedLog.Wire;

namespace Framewire.Tests.Samples;

/// <summary>samples/ReplicatedLog as real node processes on loopback, killed with SIGKILL and restarted from their data directories.</summary>
public sealed class ReplicatedLogSampleTests : IAsyncLifetime
{
    private static readonly string Dll = Path.Combine(RepoPaths.Root, "samples", "ReplicatedLog", "bin", RepoPaths.Configuration, "net10.0", "ReplicatedLog.dll");

    private readonly string _data = Path.Combine(Path.GetTempPath(), "framewire-replicated-log-" + Guid.NewGuid().ToString("N"));
    private readonly List<ChildProcess> _processes = [];

    [Fact]
    public async Task Cluster_LeaderKilledThenRestarted_NewLeaderWithin3SecondsAndEveryCommittedValueOnEveryNode()
    {
        string[] nodes = [.. Enumerable.Range(0, 3).Select(_ => $"127.0.0.1:{Listeners.FreePort()}")];
        var running = new ChildProcess?[3];
        for (int i = 0; i < 3; i++)
        {
            running[i] = await StartNodeAsync(i + 1, nodes);
        }

        // 200 puts, each through a different node in turn; a follower sends its client on to the leader.
        LogClient[] clients = [.. Enumerable.Range(0, 3).Select(i => new LogClient([nodes[i], nodes[(i + 1) % 3], nodes[(i + 2) % 3]], TimeSpan.FromSeconds(15)))];
        try
        {
            await PutAllAsync(clients, 0, 200);

            (int leader, long term) = await LeaderAsync(nodes, Enumerable.Range(0, 3), minimumTerm: 1);
            running[leader]!.KillAbruptly();
            var watch = Stopwatch.StartNew();
            int[] survivors = [.. Enumerable.Range(0, 3).Where(i => i != leader)];
            (int next, long nextTerm) = await LeaderAsync(nodes, survivors, minimumTerm: term + 1);
            TimeSpan election = watch.Elapsed;
            Assert.True(election < TimeSpan.FromSeconds(3), $"the new leader took {election.TotalMilliseconds:0} ms");
            Assert.NotEqual(leader, next);

            await PutAllAsync([.. survivors.Select(i => clients[i])], 200, 400);

            await running[leader]!.WaitForExitAsync(TimeSpan.FromSeconds(10));
            running[leader] = await StartNodeAsync(leader + 1, nodes);

            // It read back its term and the 200 entries and more it had when it was killed.
            Match restarted = Regex.Match(running[leader]!.Stdout.Text, @"listening on \S+: term (\d+), (\d+) entries");
            Assert.True(restarted.Success, running[leader]!.Stdout.Text);
            Assert.True(long.Parse(restarted.Groups[1].Value, CultureInfo.InvariantCulture) >= term, restarted.Value);
            Assert.True(int.Parse(restarted.Groups[2].Value, CultureInfo.InvariantCulture) > 200, restarted.Value);

            // Caught up: the restarted node has committed and applied everything the leader has.
            long committed = (await StatusAsync(nodes[next])).CommitIndex;
            await WaitUntilAsync(async () => (await StatusAsync(nodes[leader])).CommitIndex >= committed, TimeSpan.FromSeconds(20));

            for (int node = 0; node < 3; node++)
            {
                await using var reader = new LogClient([nodes[node]], TimeSpan.FromSeconds(5));
                for (int key = 0; key < 400; key++)
                {
                    ClientReply reply = await reader.GetAsync(Key(key), local: true);
                    Assert.True(reply.Status == ClientReply.Ok, $"node {node + 1}, {Key(key)}: {reply}");
                    Assert.Equal(Value(key), reply.Value);
                }
            }

            Assert.True(nextTerm > term);
        }
        finally
        {
            foreach (LogClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Commands_PutGetStatusThroughAFollower_FollowTheLeaderAndExit0()
    {
        string[] nodes = [.. Enumerable.Range(0, 3).Select(_ => $"127.0.0.1:{Listeners.FreePort()}")];
        var running = new ChildProcess[3];
        for (int i = 0; i < 3; i++)
        {
            running[i] = await StartNodeAsync(i + 1, nodes);
        }

        (int leader, _) = await LeaderAsync(nodes, Enumerable.Range(0, 3), minimumTerm: 1);
        string follower = nodes[(leader + 1) % 3];

        (int putCode, string putOut, string putErr) = await RunAsync("put", "colour", "blue", "--node", follower);
        Assert.True(putCode == 0, putOut + putErr);
        Assert.Contains($"committed at {nodes[leader]}", putOut, StringComparison.Ordinal);

        (int getCode, string getOut, _) = await RunAsync("get", "colour", "--node", follower);
        Assert.Equal(0, getCode);
        Assert.Equal("blue", getOut.Trim());

        (int missingCode, _, string missingErr) = await RunAsync("get", "shape", "--node", follower);
        Assert.Equal(1, missingCode);
        Assert.Contains("shape: not found", missingErr, StringComparison.Ordinal);

        (int statusCode, string statusOut, _) = await RunAsync("status", "--node", nodes[leader]);
        Assert.Equal(0, statusCode);
        Assert.Contains($"node {leader + 1} at {nodes[leader]}: leader, term ", statusOut, StringComparison.Ordinal);
        Assert.Contains("commit index ", statusOut, StringComparison.Ordinal);
        Assert.Contains($"peer {follower}: match index ", statusOut, StringComparison.Ordinal);
        Assert.Matches($@"peer {Regex.Escape(follower)}: match index \d+; link connected, [1-9]\d* sent, \d+ queued, \d+ reconnects", statusOut);

        // SIGTERM stops a node gracefully although its peers keep their links to it open and sending.
        running[leader].Terminate();
        Assert.Equal(0, await running[leader].WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Node_PeersDown_NeverCommitsAndKeepsItsTermAcrossARestart()
    {
        string[] nodes = [.. Enumerable.Range(0, 3).Select(_ => $"127.0.0.1:{Listeners.FreePort()}")];
        ChildProcess alone = await StartNodeAsync(1, nodes);

        // A minority of one stands for election, term after term, and never wins.
        await WaitUntilAsync(async () => (await StatusAsync(nodes[0])).Term >= 2, TimeSpan.FromSeconds(10));
        await using (var client = new LogClient([nodes[0]], TimeSpan.FromSeconds(1.5)))
        {
            ClientReply reply = await client.PutAsync("k", "v");
            Assert.Equal(ClientReply.Unavailable, reply.Status);
        }

        (int code, _, string stderr) = await RunAsync("put", "k", "v", "--node", nodes[0], "--timeout", "1");
        Assert.Equal(1, code);
        Assert.Contains("not committed: unavailable", stderr, StringComparison.Ordinal);

        StatusReply before = await StatusAsync(nodes[0]);
        Assert.Equal("candidate", before.Role);
        Assert.Equal(0, before.CommitIndex);
        Assert.Equal(0, before.LastLogIndex);

        alone.KillAbruptly();
        await alone.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await StartNodeAsync(1, nodes);
        StatusReply after = await StatusAsync(nodes[0]);
        Assert.True(after.Term >= before.Term, $"term {after.Term} after the restart, {before.Term} before");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // xunit 2 disposes a test class through IAsyncLifetime, not IAsyncDisposable: the nodes must not outlive the test.
    public async Task DisposeAsync()
    {
        foreach (ChildProcess process in _processes)
        {
            await process.DisposeAsync();
        }

        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private static string Key(int i) => string.Create(CultureInfo.InvariantCulture, $"key-{i}");

    private static string Value(int i) => string.Create(CultureInfo.InvariantCulture, $"value-{i}-{i * 7919}");

    private static async Task PutAllAsync(LogClient[] clients, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            ClientReply reply = await clients[i % clients.Length].PutAsync(Key(i), Value(i));
            Assert.True(reply.Status == ClientReply.Ok, $"put {Key(i)}: {reply}");
        }
    }

    private static async Task<StatusReply> StatusAsync(string node)
    {
        await using var client = new LogClient([node], TimeSpan.FromSeconds(5));
        return await client.StatusAsync();
    }

    /// <summary>The node among <paramref name="candidates"/> that leads in a term of at least <paramref name="minimumTerm"/>, polled until one does.</summary>
    private static async Task<(int Node, long Term)> LeaderAsync(string[] nodes, IEnumerable<int> candidates, long minimumTerm)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            foreach (int i in candidates)
            {
                try
                {
                    StatusReply status = await StatusAsync(nodes[i]);
                    if (status.Role == "leader" && status.Term >= minimumTerm)
                    {
                        return (i, status.Term);
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException or OperationCanceledException)
                {
                    // Not listening yet.
                }
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "no leader within 20 s");
            await Task.Delay(20);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < within, $"the condition did not become true within {within.TotalSeconds} s");
            await Task.Delay(50);
        }
    }

    private async Task<ChildProcess> StartNodeAsync(int id, string[] nodes)
    {
        string self = nodes[id - 1];
        List<string> args = [Dll, "node", "--id", id.ToString(CultureInfo.InvariantCulture), "--listen", self];
        foreach (string peer in nodes.Where(n => n != self))
        {
            args.AddRange(["--peer", peer]);
        }

        args.AddRange(["--data", Path.Combine(_data, id.ToString(CultureInfo.InvariantCulture))]);
        ChildProcess node = ChildProcess.Start("dotnet", args);
        _processes.Add(node);
        await node.Stdout.WaitForLineAsync(l => l.Contains($"listening on {self}", StringComparison.Ordinal));
        return node;
    }

    private static Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        ChildProcess.RunAsync(ChildProcess.Start("dotnet", [Dll, .. args]));
}
