using System.CommandLine;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Hosting;
using Framewire.Protocol;

namespace Framewire.Cli.Commands;

/// <summary><c>framewire app-server [host] [port]</c>: the tutorial's application server (the search app).</summary>
internal static class AppServerCommand
{
    // The generic host's options type holds the defaults, so the command line and configuration cannot drift apart.
    private static readonly FramewireServerOptions Defaults = new();

    public static Command Create(CancellationToken shutdown)
    {
        Argument<string> host = CommonArguments.Host();
        Argument<int> port = CommonArguments.Port();
        Option<FileInfo?> data = new("--data") { Description = "A JSON file of {key: answer} to search instead of the tutorial's table", HelpName = "file" };
        Option<long?> maxHeader = CommonArguments.OptionalSize("--max-header-length", "Largest accepted JSON header, at most 65535 (default 8KiB)");
        Option<long?> maxContent = CommonArguments.OptionalSize("--max-content-length", "Largest accepted content (default 16MiB)");
        Option<ChecksumAlgorithm> checksum = CommonArguments.Checksum("answer");
        Option<int> ingress = CommonArguments.Whole("--ingress", "Serve through an ingress queue of this capacity and a node thread (benchmark)", minimum: 0, defaultValue: 0);
        ingress.Hidden = true;
        var flags = new ServerFlags();
        var command = new Command("app-server", "The tutorial's application server (app-server.py): answers search requests and binary requests in the frame protocol. For app-client")
        {
            host, port, data, maxHeader, maxContent, checksum, ingress,
        };
        flags.AddTo(command);

        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            Settings settings = flags.Read(
                result,
                new Settings(
                    result.GetValue(host)!,
                    result.GetValue(port),
                    result.GetValue(data)?.FullName,
                    result.GetValue(maxHeader) ?? Defaults.MaxHeaderLength,
                    result.GetValue(maxContent) ?? Defaults.MaxContentLength) { Checksum = result.GetValue(checksum) }) with { Ingress = result.GetValue(ingress) };
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

    internal sealed record Settings(string Host, int Port, string? DataFile, long MaxHeaderLength, long MaxContentLength) : ServerSettings(Host, Port)
    {
        /// <summary>--checksum: the content-checksum every answer carries.</summary>
        public ChecksumAlgorithm Checksum { get; init; }

        public Settings(string host, int port)
            : this(host, port, null, Defaults.MaxHeaderLength, Defaults.MaxContentLength)
        {
        }

        /// <summary>The ingress queue's capacity for the pull model; 0 (the default) calls the handler per request.</summary>
        public int Ingress { get; init; }

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
                options.Checksum = Checksum;
                handler = new SearchHandler(DataFile is null ? null : SearchHandler.LoadTable(DataFile));
            }
            catch (ArgumentException e)
            {
                return Failures.Refused(stderr, e);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or OverflowException or UnauthorizedAccessException)
            {
                return Failures.Usage(stderr, e.Message);
            }

            if (Ingress > 0)
            {
                var queue = new IngressQueue(Ingress);
                using var node = new IngressNode(queue, handler, options.Checksum);
                return await ServeAsync(options, logging => new MessageServer(queue, options, logging), stdout, stderr, cancellationToken).ConfigureAwait(false);
            }

            return await ServeAsync(options, logging => new MessageServer(handler, options, logging), stdout, stderr, cancellationToken).ConfigureAwait(false);
        }
    }
}
