using System.CommandLine;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Hosting;
using Microsoft.Extensions.Logging;

namespace Framewire.Cli.Commands;

/// <summary><c>framewire multiconn-server [host] [port]</c>: the seed's multi-connection echo server.</summary>
internal static class MulticonnServerCommand
{
    public static Command Create(CancellationToken shutdown)
    {
        Argument<string> host = CommonArguments.Host();
        Argument<int> port = CommonArguments.Port();
        Option<bool> verbose = CommonArguments.Verbose();
        var command = new Command("multiconn-server", "The seed's multi-connection echo server: many clients at once, every byte echoed")
        {
            host, port, verbose,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            return await RunAsync(result.GetValue(host)!, result.GetValue(port), result.GetValue(verbose), Console.Out, Console.Error, linked.Token);
        });
        return command;
    }

    public static async Task<int> RunAsync(string host, int port, bool verbose, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        MessageServerOptions options;
        try
        {
            options = new FramewireServerOptions { Host = host, Port = port }.ToMessageServerOptions();
        }
        catch (ArgumentException e)
        {
            await stderr.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Usage;
        }

        ServerHost.WarnIfExposed(options.EndPoint, stderr);
        using ILoggerFactory logging = Logging.Create(verbose);
        var server = new MessageServer(EchoHandler.Instance, options, logging);
        return await ServerHost.RunAsync(server, stdout, stderr, cancellationToken).ConfigureAwait(false);
    }
}
