using System.CommandLine;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Hosting;
using Framewire.Protocol;

namespace Framewire.Cli.Commands;

/// <summary><c>framewire app-server [host] [port]</c>: the seed's application server (the search app).</summary>
internal static class AppServerCommand
{
    // The generic host's options type holds the defaults, so the command line and configuration cannot drift apart.
    private static readonly FramewireServerOptions Defaults = new();

    public static Command Create(CancellationToken shutdown)
    {
        Argument<string> host = CommonArguments.Host();
        Argument<int> port = CommonArguments.Port();
        Option<FileInfo?> data = new("--data") { Description = "A JSON file of {key: answer} to search instead of the seed's table" };
        Option<long> maxHeader = CommonArguments.Size("--max-header-length", Defaults.MaxHeaderLength, "Largest accepted JSON header (at most 65535)");
        Option<long> maxContent = CommonArguments.Size("--max-content-length", Defaults.MaxContentLength, "Largest accepted content");
        var flags = new ServerFlags();
        var command = new Command("app-server", "The seed's application server: answers search requests and binary requests in the frame protocol")
        {
            host, port, data, maxHeader, maxContent,
        };
        flags.AddTo(command);

        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            Settings settings = flags.Read(
                result,
                new Settings(result.GetValue(host)!, result.GetValue(port), result.GetValue(data)?.FullName, result.GetValue(maxHeader), result.GetValue(maxContent)));
            return await RunAsync(settings, Console.Out, Console.Error, linked.Token);
        });
        return command;
    }

    public static Task<int> RunAsync(Settings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.RunAsync(stdout, stderr, cancellationToken);
    }

    internal sealed record Settings(string Host, int Port, string? DataFile, long MaxHeaderLength, long MaxContentLength) : ServerSettings(Host, Port)
    {
        public Settings(string host, int port)
            : this(host, port, null, Defaults.MaxHeaderLength, Defaults.MaxContentLength)
        {
        }

        public async Task<int> RunAsync(TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
        {
            MessageServerOptions options;
            SearchHandler handler;
            try
            {
                FramewireServerOptions configured = ToHostingOptions();
                configured.MaxHeaderLength = checked((int)MaxHeaderLength);
                configured.MaxContentLength = checked((int)MaxContentLength);
                options = ToServerOptions(configured);
                handler = new SearchHandler(DataFile is null ? null : SearchHandler.LoadTable(DataFile));
            }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or OverflowException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
                return (int)ExitCode.Usage;
            }

            return await ServeAsync(options, logging => new MessageServer(handler, options, logging), stdout, stderr, cancellationToken).ConfigureAwait(false);
        }
    }
}
