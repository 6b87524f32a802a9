using System.Net;
using System.Net.Sockets;
using Framewire.Cli.Admin;
using Framewire.Engines;
using Microsoft.Extensions.Logging;

namespace Framewire.Cli;

/// <summary>Runs a server until the command is cancelled (Ctrl-C, SIGTERM), then stops it gracefully.</summary>
internal static class ServerHost
{
    /// <summary>The engine servers run on unless told otherwise; docs/engines.md says why.</summary>
    public const ServerEngine DefaultEngine = ServerEngine.Selector;

    /// <summary>
    /// Before the process opens its first socket (the runtime reads the setting once): a server on the async engine
    /// runs its socket completions inline on the socket engine's threads. Its handlers never block, so the thread-pool
    /// hop per receive only cost CPU (docs/engines.md has the figures). In-process callers (the tests) skip this and
    /// keep the runtime's default.
    /// </summary>
    public static void ConfigureSocketThreads(ServerEngine? engine)
    {
        if (engine == ServerEngine.Async)
        {
            SocketThreads.ConfigureInline();
        }
    }

    /// <summary>
    /// What every server command does once its options are set: warn about exposure, start the metrics endpoint,
    /// create the server (options that do not go together, such as TLS on an engine without it, are usage errors),
    /// and run it until cancelled.
    /// </summary>
    public static async Task<int> ServeAsync(
        MessageServerOptions options,
        int? metricsPort,
        bool verbose,
        LogFormat logFormat,
        string? admin,
        Func<ILoggerFactory, MessageServer> createServer,
        TextWriter stdout,
        TextWriter stderr,
        CancellationToken cancellationToken)
    {
        WarnIfExposed(options.EndPoint, stderr);
        IDisposable? metrics;
        EndPoint? adminEndPoint;
        try
        {
            adminEndPoint = admin is null ? null : AdminAddress.Parse(admin);
            metrics = MetricsExport.Start(metricsPort, stdout);
        }
        catch (ArgumentException e)
        {
            return Failures.Refused(stderr, e);
        }
        catch (HttpListenerException e)
        {
            return Failures.Failed(stderr, $"cannot serve metrics on http://127.0.0.1:{metricsPort}/metrics: {e.Message}");
        }

        using IDisposable? exporter = metrics;
        using ILoggerFactory logging = Logging.Create(verbose, logFormat);
        MessageServer server;
        try
        {
            server = createServer(logging);
        }
        catch (InvalidOperationException e)
        {
            return Failures.Usage(stderr, e.Message);
        }

        return await RunAsync(server, options.EndPoint, adminEndPoint, stdout, stderr, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(MessageServer server, EndPoint endPoint, EndPoint? admin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        await using (server.ConfigureAwait(false))
        {
            try
            {
                await server.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return Failures.Failed(stderr, Failures.CannotListen(endPoint, e));
            }

            await stdout.WriteLineAsync($"Listening on {Endpoints.Format(server.LocalEndPoint)}").ConfigureAwait(false);
            AdminEndpoint? adminEndpoint = null;
            if (admin is not null)
            {
                try
                {
                    adminEndpoint = await AdminEndpoint.StartAsync(server, admin, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    return Failures.Failed(stderr, $"--admin: {Failures.CannotListen(admin, e)}");
                }

                await stdout.WriteLineAsync($"Admin on {Endpoints.Format(adminEndpoint.LocalEndPoint)}").ConfigureAwait(false);
            }

            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C or SIGTERM: stop gracefully below.
            }

            if (adminEndpoint is not null)
            {
                await adminEndpoint.DisposeAsync().ConfigureAwait(false);
            }

            await stdout.WriteLineAsync($"Stopping: finishing {server.ConnectionCount} open connection(s)").ConfigureAwait(false);
            await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await stdout.WriteLineAsync($"Stopped after serving {server.AcceptedTotal} connection(s)").ConfigureAwait(false);
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return (int)ExitCode.Success;
        }
    }

    /// <summary>Warns when a server is about to listen beyond this machine.</summary>
    public static void WarnIfExposed(System.Net.EndPoint endPoint, TextWriter stderr)
    {
        if (Endpoints.IsExposed(endPoint))
        {
            stderr.WriteLine($"Warning: listening on {Endpoints.Format(endPoint)} accepts connections from other machines.");
        }
    }
}
