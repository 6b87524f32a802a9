using System.CommandLine;
using Framewire.Apps;
using Framewire.Engines;

namespace Framewire.Cli.Commands;

/// <summary><c>framewire multiconn-server [host] [port]</c>: the tutorial's multi-connection echo server.</summary>
internal static class MulticonnServerCommand
{
    public static Command Create(CancellationToken shutdown)
    {
        Argument<string> host = CommonArguments.Host();
        Argument<int> port = CommonArguments.Port();
        var flags = new ServerFlags();
        var command = new Command("multiconn-server", "The tutorial's multi-connection server (multiconn-server.py): many clients at once, every byte sent back. For multiconn-client and echo-client")
        {
            host, port,
        };
        flags.AddTo(command);

        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            Settings settings = flags.Read(result, new Settings(result.GetValue(host)!, result.GetValue(port)));
            ServerHost.ConfigureSocketThreads(settings.Engine);
            return await RunAsync(settings, Console.Out, Console.Error, linked.Token);
        });
        return command;
    }

    public static Task<int> RunAsync(Settings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.RunAsync(stdout, stderr, cancellationToken);
    }

    internal sealed record Settings(string Host, int Port) : ServerSettings(Host, Port)
    {
        public async Task<int> RunAsync(TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
        {
            MessageServerOptions options;
            try
            {
                options = ToServerOptions(ToHostingOptions());
            }
            catch (ArgumentException e)
            {
                return Failures.Refused(stderr, e);
            }

            return await ServeAsync(options, logging => new MessageServer(EchoHandler.Instance, options, logging), stdout, stderr, cancellationToken).ConfigureAwait(false);
        }
    }
}
