using System.CommandLine;
using System.Globalization;
using ReplicatedLog.Client;
using ReplicatedLog.Wire;

namespace ReplicatedLog.Commands;

/// <summary><c>status --node HOST:PORT</c>: the node's role, term, commit index and peers, as it sees them.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        Option<string> node = CommonOptions.Node();
        Option<double> timeout = CommonOptions.Timeout();
        var command = new Command("status", "Print a node's role, term, commit index and peers") { node, timeout };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetValue(node)!, TimeSpan.FromSeconds(result.GetValue(timeout)), Console.Out, Console.Error, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string node, TimeSpan timeout, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        await using var client = new LogClient([node], timeout);
        StatusReply status;
        try
        {
            status = await client.StatusAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException or OperationCanceledException)
        {
            await stderr.WriteLineAsync($"{node}: {e.Message}");
            return (int)ExitCode.Failure;
        }

        IFormatProvider invariant = CultureInfo.InvariantCulture;
        await stdout.WriteLineAsync(string.Create(invariant, $"node {status.Id} at {status.Address}: {status.Role}, term {status.Term}, leader {status.Leader ?? "unknown"}"));
        await stdout.WriteLineAsync(string.Create(invariant, $"commit index {status.CommitIndex}, last log index {status.LastLogIndex}, {status.Syncs} fsyncs"));
        foreach (PeerStatus peer in status.Peers)
        {
            string match = peer.MatchIndex is long index ? string.Create(invariant, $"match index {index}; ") : "";
            // A link that is up again has an old error: it is news only while the link is down.
            string error = peer.LastError is string last && peer.Link != "connected" ? $", last error: {last}" : "";
            await stdout.WriteLineAsync(string.Create(invariant, $"peer {peer.Address}: {match}link {peer.Link}, {peer.Sent} sent, {peer.Queued} queued, {peer.Reconnects} reconnects{error}"));
        }

        return (int)ExitCode.Success;
    }
}
