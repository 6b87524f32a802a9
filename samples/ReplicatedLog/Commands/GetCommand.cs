using System.CommandLine;
using ReplicatedLog.Client;
using ReplicatedLog.Wire;

namespace ReplicatedLog.Commands;

/// <summary><c>get KEY --node HOST:PORT</c>: prints the value the leader has committed; exits 0 only when there is one.</summary>
internal static class GetCommand
{
    public static Command Create()
    {
        Argument<string> key = new("key") { Description = "The key" };
        Option<string> node = CommonOptions.Node();
        Option<double> timeout = CommonOptions.Timeout();
        Option<bool> local = new("--local") { Description = "Read this node's own copy, which may be behind, instead of the leader's" };
        var command = new Command("get", "Read a committed value") { key, node, timeout, local };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetValue(key)!, result.GetValue(node)!, result.GetValue(local), TimeSpan.FromSeconds(result.GetValue(timeout)), Console.Out, Console.Error, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string key, string node, bool local, TimeSpan timeout, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        await using var client = new LogClient([node], timeout);
        ClientReply reply = await client.GetAsync(key, local, cancellationToken);
        if (reply.Status == ClientReply.Ok)
        {
            await stdout.WriteLineAsync(reply.Value);
            return (int)ExitCode.Success;
        }

        await stderr.WriteLineAsync(reply.Status == ClientReply.NotFound ? $"{key}: not found" : $"no answer: {reply.Status}{(reply.Message is null ? string.Empty : ": " + reply.Message)}");
        return (int)ExitCode.Failure;
    }
}
