using System.Net;
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
        Option<ServerEngine?> engine = CommonArguments.Engine();
        Option<int> loops = CommonArguments.Loops();
        Option<bool> verbose = CommonArguments.Verbose();
        Option<int?> metricsPort = MetricsExport.CreateOption();
        (Option[] securityOptions, Func<ParseResult, ServerSecurity> readSecurity) = ServerSecurity.CreateOptions();
        var command = new Command("multiconn-server", "The seed's multi-connection echo server: many clients at once, every byte echoed")
        {
            host, port, engine, loops, verbose, metricsPort,
        };
        foreach (Option option in securityOptions)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            var settings = new Settings(
                result.GetValue(host)!, result.GetValue(port), result.GetValue(engine), result.GetValue(loops), result.GetValue(verbose), readSecurity(result))
            {
                MetricsPort = result.GetValue(metricsPort),
            };
            return await RunAsync(settings, Console.Out, Console.Error, linked.Token);
        });
        return command;
    }

    public static async Task<int> RunAsync(Settings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        MessageServerOptions options;
        try
        {
            options = new FramewireServerOptions
            {
                Host = settings.Host,
                Port = settings.Port,
                Engine = settings.Security.ChooseEngine(settings.Engine),
                Loops = settings.Loops,
            }.ToMessageServerOptions();
            settings.Security.ApplyTo(options);
        }
        catch (ArgumentException e)
        {
            await stderr.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Usage;
        }

        ServerHost.WarnIfExposed(options.EndPoint, stderr);
        IDisposable? metrics;
        try
        {
            metrics = MetricsExport.Start(settings.MetricsPort, stdout);
        }
        catch (ArgumentException e)
        {
            await stderr.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Usage;
        }
        catch (HttpListenerException e)
        {
            await stderr.WriteLineAsync($"Error: cannot serve metrics: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Failure;
        }

        using IDisposable? exporter = metrics;
        using ILoggerFactory logging = Logging.Create(settings.Verbose);
        MessageServer server;
        try
        {
            server = new MessageServer(EchoHandler.Instance, options, logging);
        }
        catch (InvalidOperationException e)
        {
            // Options that do not go together, such as TLS on an engine without it.
            await stderr.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Usage;
        }

        return await ServerHost.RunAsync(server, stdout, stderr, cancellationToken).ConfigureAwait(false);
    }

    internal sealed record Settings(string Host, int Port, ServerEngine? Engine, int Loops, bool Verbose, ServerSecurity Security)
    {
        public Settings(string host, int port)
            : this(host, port, null, 0, false, ServerSecurity.None)
        {
        }

        /// <summary>Where to serve Prometheus metrics on 127.0.0.1; null for nowhere.</summary>
        public int? MetricsPort { get; init; }
    }
}
