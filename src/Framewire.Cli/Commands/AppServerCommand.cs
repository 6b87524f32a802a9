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
        Option<ServerEngine?> engine = CommonArguments.Engine();
        Option<int> loops = CommonArguments.Loops();
        Option<bool> verbose = CommonArguments.Verbose();
        Option<int?> metricsPort = MetricsExport.CreateOption();
        Option<LogFormat> logFormat = CommonArguments.LogFormat();
        Option<string?> admin = CommonArguments.Admin();
        Option<int?> maxConnections = CommonArguments.MaxConnections();
        Option<double?> idleTimeout = CommonArguments.Seconds("--idle-timeout", "Close a connection with nothing in flight after this long without a byte; 0 never (default 120)");
        Option<double?> frameTimeout = CommonArguments.Seconds("--frame-timeout", "Answer frame_timeout and close when a frame header is not complete this long after its first byte; 0 never (default 10)");
        Option<double?> shutdownTimeout = CommonArguments.Seconds("--shutdown-timeout", "On Ctrl-C or SIGTERM, let connections finish what they have received for this long, then abort them (default 30)");
        (Option[] securityOptions, Func<ParseResult, ServerSecurity> readSecurity) = ServerSecurity.CreateOptions();
        (Option[] flowOptions, Func<ParseResult, FlowControl> readFlow) = FlowControl.CreateOptions();
        var command = new Command("app-server", "The seed's application server: answers search requests and binary requests in the frame protocol")
        {
            host, port, data, maxHeader, maxContent, engine, loops, verbose, maxConnections, idleTimeout, frameTimeout, shutdownTimeout, metricsPort, logFormat, admin,
        };
        foreach (Option option in flowOptions.Concat(securityOptions))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            var settings = new Settings(
                result.GetValue(host)!,
                result.GetValue(port),
                result.GetValue(data)?.FullName,
                result.GetValue(maxHeader),
                result.GetValue(maxContent),
                result.GetValue(engine),
                result.GetValue(loops),
                result.GetValue(verbose))
            {
                Security = readSecurity(result),
                MetricsPort = result.GetValue(metricsPort),
                LogFormat = result.GetValue(logFormat),
                Admin = result.GetValue(admin),
                MaxConnections = result.GetValue(maxConnections),
                IdleTimeout = CommonArguments.ToTimeSpan(result.GetValue(idleTimeout)),
                FrameTimeout = CommonArguments.ToTimeSpan(result.GetValue(frameTimeout)),
                ShutdownTimeout = CommonArguments.ToTimeSpan(result.GetValue(shutdownTimeout)),
                Flow = readFlow(result),
            };
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
            var configured = new FramewireServerOptions
            {
                Host = settings.Host,
                Port = settings.Port,
                MaxHeaderLength = checked((int)settings.MaxHeaderLength),
                MaxContentLength = checked((int)settings.MaxContentLength),
                Engine = settings.Security.ChooseEngine(settings.Engine),
                Loops = settings.Loops,
                MaxConnections = settings.MaxConnections,
                IdleTimeout = settings.IdleTimeout,
                FrameTimeout = settings.FrameTimeout,
                ShutdownTimeout = settings.ShutdownTimeout,
            };
            settings.Flow.ApplyTo(configured);
            options = configured.ToMessageServerOptions();
            settings.Security.ApplyTo(options);
            handler = new SearchHandler(settings.DataFile is null ? null : SearchHandler.LoadTable(settings.DataFile));
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or OverflowException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Usage;
        }

        return await ServerHost.ServeAsync(
            options, settings.MetricsPort, settings.Verbose, settings.LogFormat, settings.Admin, logging => new MessageServer(handler, options, logging), stdout, stderr, cancellationToken).ConfigureAwait(false);
    }

    internal sealed record Settings(
        string Host, int Port, string? DataFile, long MaxHeaderLength, long MaxContentLength, ServerEngine? Engine, int Loops, bool Verbose)
    {
        public Settings(string host, int port)
            : this(host, port, null, Defaults.MaxHeaderLength, Defaults.MaxContentLength, null, 0, false)
        {
        }

        public ServerSecurity Security { get; init; } = ServerSecurity.None;

        /// <summary>Where to serve Prometheus metrics on 127.0.0.1; null for nowhere.</summary>
        public int? MetricsPort { get; init; }

        /// <summary>--log-format.</summary>
        public LogFormat LogFormat { get; init; }

        /// <summary>--admin: where to serve the live connection view; null for nowhere.</summary>
        public string? Admin { get; init; }

        /// <summary>--max-connections; null keeps the server's default.</summary>
        public int? MaxConnections { get; init; }

        /// <summary>--idle-timeout; null keeps the server's default.</summary>
        public TimeSpan? IdleTimeout { get; init; }

        /// <summary>--frame-timeout; null keeps the server's default.</summary>
        public TimeSpan? FrameTimeout { get; init; }

        /// <summary>--shutdown-timeout; null keeps the server's default.</summary>
        public TimeSpan? ShutdownTimeout { get; init; }

        /// <summary>--max-in-flight, --send-high-water, --send-limit, --min-data-rate.</summary>
        public FlowControl Flow { get; init; } = FlowControl.None;
    }
}
