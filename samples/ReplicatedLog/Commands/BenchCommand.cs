using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ReplicatedLog.Client;
using ReplicatedLog.Wire;

namespace ReplicatedLog.Commands;

/// <summary>
/// <c>bench --node HOST:PORT [--clients N] [--count N] [--seconds S]</c>: committed puts per second, from clients that
/// each wait for one put to commit before they send the next, and how many puts shared each of the leader's fsyncs.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        Option<string> node = CommonOptions.Node();
        Option<int> clients = new("--clients") { Description = "Clients putting at once, each one put at a time", DefaultValueFactory = _ => 16 };
        Option<int> count = new("--count") { Description = "Puts in all", DefaultValueFactory = _ => 5_000 };
        Option<double> seconds = new("--seconds") { Description = "The longest the run may take", DefaultValueFactory = _ => 60 };
        var command = new Command("bench", "Measure committed puts per second") { node, clients, count, seconds };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetValue(node)!, result.GetValue(clients), result.GetValue(count), TimeSpan.FromSeconds(result.GetValue(seconds)), Console.Out, Console.Error, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string node, int clients, int count, TimeSpan limit, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (clients < 1 || count < clients)
        {
            await stderr.WriteLineAsync("--clients takes 1 or more, and --count at least as many.");
            return (int)ExitCode.Usage;
        }

        // The first put finds the leader, whose fsyncs are counted around the run.
        await using var probe = new LogClient([node], TimeSpan.FromSeconds(10));
        if ((await probe.PutAsync("bench", "start", cancellationToken)).Status != ClientReply.Ok)
        {
            await stderr.WriteLineAsync($"{node}: no leader committed the first put.");
            return (int)ExitCode.Failure;
        }

        string leader = probe.Target;
        long syncsBefore = (await probe.StatusAsync(cancellationToken)).Syncs;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(limit);
        int next = -1;
        int failed = 0;
        var watch = Stopwatch.StartNew();
        List<double>[] latencies = await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var own = new List<double>();
            await using var client = new LogClient([leader], TimeSpan.FromSeconds(10));
            int i;
            while ((i = Interlocked.Increment(ref next)) < count && !stop.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                ClientReply reply;
                try
                {
                    reply = await client.PutAsync(string.Create(CultureInfo.InvariantCulture, $"bench-{i % 1000}"), "x", stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }

                if (reply.Status == ClientReply.Ok)
                {
                    own.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }

            return own;
        })));
        double elapsed = watch.Elapsed.TotalSeconds;
        double[] sorted = [.. latencies.SelectMany(l => l).Order()];
        int done = sorted.Length;
        if (done == 0)
        {
            await stderr.WriteLineAsync($"No put committed in {elapsed:0.0} s.");
            return (int)ExitCode.Failure;
        }

        await using var after = new LogClient([leader], TimeSpan.FromSeconds(10));
        long syncs = (await after.StatusAsync(cancellationToken)).Syncs - syncsBefore;
        IFormatProvider invariant = CultureInfo.InvariantCulture;
        await stdout.WriteLineAsync(string.Create(invariant,
            $"{done} puts committed ({failed} failed) by {clients} clients in {elapsed:0.00} s: {done / elapsed:0} puts/s"));
        await stdout.WriteLineAsync(string.Create(invariant,
            $"latency p50 {sorted[sorted.Length / 2]:0.00} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:0.00} ms; {syncs} fsyncs on the leader {leader}, {(double)done / Math.Max(syncs, 1):0.0} puts per fsync"));
        return failed == 0 ? (int)ExitCode.Success : (int)ExitCode.Failure;
    }
}
