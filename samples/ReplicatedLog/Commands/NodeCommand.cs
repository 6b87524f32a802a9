using System.CommandLine;
using ReplicatedLog.Node;

namespace ReplicatedLog.Commands;

/// <summary><c>node --id N --listen HOST:PORT --peer HOST:PORT [--peer …] --data DIR</c>: runs one node until SIGINT or SIGTERM.</summary>
internal static class NodeCommand
{
    public static Command Create(CancellationToken shutdown)
    {
        Option<int> id = new("--id") { Description = "This node's number, which names its file in the data directory", Required = true };
        Option<string> listen = new("--listen")
        {
            Description = "The HOST:PORT to serve on, which is also how the other nodes name this one in their --peer",
            Required = true,
            CustomParser = CommonOptions.ParseAddress,
        };
        Option<string[]> peer = new("--peer")
        {
            Description = "Another node's HOST:PORT, as it gives in its --listen; once per peer",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            CustomParser = result =>
            {
                foreach (System.CommandLine.Parsing.Token token in result.Tokens)
                {
                    if (!Wire.NodeAddress.TryParse(token.Value, out _, out _))
                    {
                        result.AddError($"--peer takes HOST:PORT, not '{token.Value}'.");
                    }
                }

                return [.. result.Tokens.Select(t => t.Value)];
            },
        };
        Option<string> data = new("--data") { Description = "The directory of this node's term, vote and log (created when missing)", Required = true };
        var command = new Command("node", "Run one node of the cluster") { id, listen, peer, data };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            var settings = new NodeSettings(result.GetValue(id), result.GetValue(listen)!, result.GetValue(peer)!, result.GetValue(data)!);
            return await RunAsync(settings, Console.Out, Console.Error, linked.Token);
        });
        return command;
    }

    public static async Task<int> RunAsync(NodeSettings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(stderr);
        if (settings.Peers.Contains(settings.Listen, StringComparer.Ordinal))
        {
            await stderr.WriteLineAsync($"--peer {settings.Listen} is this node's own --listen.");
            return (int)ExitCode.Usage;
        }

        try
        {
            await using ReplicatedLogNode node = await ReplicatedLogNode.StartAsync(settings, stdout, cancellationToken);
            await node.RunAsync(cancellationToken);
            return (int)ExitCode.Success;
        }
        catch (InvalidDataException e)
        {
            await stderr.WriteLineAsync($"Cannot read the log: {e.Message}");
            return (int)ExitCode.Failure;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await stderr.WriteLineAsync($"Cannot listen on {settings.Listen}: {e.Message}");
            return (int)ExitCode.Failure;
        }
    }
}
