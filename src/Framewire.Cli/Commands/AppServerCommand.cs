using System.CommandLine;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Hosting;
using Microsoft.Extensions.Logging;

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
        Option<bool> verbose = CommonArguments.Verbose();
        var command = new Command("app-server", "The seed's application server: answers search requests and binary requests in the frame protocol")
        {
            host, port, data, maxHeader, maxContent, verbose,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            var settings = new Settings(
                result.GetValue(host)!,
                result.GetValue(port),
                result.GetValue(data)?.FullName,
                result.GetValue(maxHeader),
                result.GetValue(maxContent),
                result.GetValue(verbose));
            return await RunAsync(settings, Console.Out, Console.Error, linked.Token);
        });
        return command;
    }

    public static async Task<int> RunAsync(Settings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        MessageServerOptions options;
        SearchHandler handler;
        try
        {
            options = new FramewireServerOptions
            {
                Host = settings.Host,
                Port = settings.Port,
                MaxHeaderLength = checked((int)settings.MaxHeaderLength),
                MaxContentLength = checked((int)settings.MaxContentLength),
            }.ToMessageServerOptions();
            handler = new SearchHandler(settings.DataFile is null ? null : SearchHandler.LoadTable(settings.DataFile));
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or OverflowException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Usage;
        }

        ServerHost.WarnIfExposed(options.EndPoint, stderr);
        using ILoggerFactory logging = Logging.Create(settings.Verbose);
        var server = new MessageServer(handler, options, logging);
        return await ServerHost.RunAsync(server, stdout, stderr, cancellationToken).ConfigureAwait(false);
    }

    internal sealed record Settings(string Host, int Port, string? DataFile, long MaxHeaderLength, long MaxContentLength, bool Verbose)
    {
        public Settings(string host, int port)
            : this(host, port, null, Defaults.MaxHeaderLength, Defaults.MaxContentLength, false)
        {
        }
    }
}
