using System.CommandLine;
using ReplicatedLog.Client;
using ReplicatedLog.Wire;

namespace ReplicatedLog.Commands;

/// <summary><c>put KEY VALUE --node HOST:PORT</c>: exits 0 only once the write is committed.</summary>
internal static class PutCommand
{
    public static Command Create()
    {
        Argument<string> key = new("key") { Description = "The key" };
        Argument<string> value = new("value") { Description = "Its new value" };
        Option<string> node = CommonOptions.Node();
        Option<double> timeout = CommonOptions.Timeout();
        var command = new Command("put", "Write a value; done when a majority of the nodes has it on disk") { key, value, node, timeout };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetValue(key)!, result.GetValue(value)!, result.GetValue(node)!, TimeSpan.FromSeconds(result.GetValue(timeout)), Console.Out, Console.Error, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string key, string value, string node, TimeSpan timeout, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        await using var client = new LogClient([node], timeout);
        ClientReply reply = await client.PutAsync(key, value, cancellationToken);
        if (reply.Status == ClientReply.Ok)
        {
            await stdout.WriteLineAsync($"committed at {client.Target}");
            return (int)ExitCode.Success;
        }

        await stderr.WriteLineAsync($"not committed: {reply.Status}{(reply.Message is null ? string.Empty : ": " + reply.Message)}");
        return (int)ExitCode.Failure;
    }
}
