using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Framewire.Cli.Bench;
using Framewire.Client;

namespace Framewire.Cli.Commands;

/// <summary>
/// <c>framewire bench mode [options]</c>: the load generator. Drives any server over kept-open connections
/// (<c>echo</c>, <c>frame</c>) or a connection per request (<c>oneshot</c>), checks every answer byte for byte, and
/// reports throughput and latency percentiles; exits 1 when any request got no correct answer.
/// </summary>
internal static class BenchCommand
{
    private static readonly Choice<BenchMode> Modes = new(BenchMode.Echo, BenchMode.Frame, BenchMode.Oneshot);
    private static readonly Choice<BenchEngine> Engines = new(BenchEngine.Selector, BenchEngine.Async);

    public static Command Create(CancellationToken shutdown)
    {
        Argument<BenchMode> mode = new("mode")
        {
            Description = "echo: raw bytes, for echo-server and multiconn-server; frame: the frame protocol (search requests, or --binary), "
                + "for app-server; oneshot: a new connection per search request, for app-server",
            HelpName = Modes.HelpName,
            CustomParser = result => Modes.Parse(result) ?? BenchMode.Echo,
        };
        Option<string> host = new("--host") { Description = "The server's address, host name, or unix:/path/to.sock", DefaultValueFactory = _ => Endpoints.DefaultHost };
        Option<int> port = new("--port") { Description = "The server's port", DefaultValueFactory = _ => Endpoints.DefaultPort, CustomParser = CommonArguments.ParsePort };
        Option<int> connections = CommonArguments.Whole("--connections", "Connections (oneshot: connections open at once)", 1, 64, "-c");
        Option<int> depth = CommonArguments.Whole("--depth", "Requests in flight per connection", 1, 1);
        Option<double> duration = Seconds("--duration", "How long to measure after the warm-up: 10, 10s, 500ms, 1m", 10, "-d");
        Option<double?> warmup = new("--warmup")
        {
            Description = "Load before measuring, not counted; timed runs only (default 2s)",
            HelpName = "seconds",
            CustomParser = result => ParseSeconds(result, positive: false),
        };
        Option<long?> requests = new("--requests", "-n")
        {
            Description = "Send exactly N requests in all, every one measured, instead of running for --duration",
            HelpName = "N",
            CustomParser = result => long.TryParse(CommonArguments.TokenOf(result), NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n >= 1
                ? n
                : CommonArguments.Reject<long?>(result, "a whole number of at least 1"),
        };
        Option<double?> rate = new("--rate", "-R")
        {
            Description = "Open loop: R requests/s in all; latency counts from each request's intended send time (no coordinated omission)",
            HelpName = "R",
            CustomParser = result => double.TryParse(CommonArguments.TokenOf(result), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double r) && r > 0 && double.IsFinite(r)
                ? r
                : CommonArguments.Reject<double?>(result, "a number of requests per second above 0"),
        };
        Option<long?> size = new("--size") { Description = "Echo message size (default 64)", HelpName = "bytes", CustomParser = ParseSize };
        Option<long?> binary = new("--binary") { Description = "Frame mode: binary requests with this much content instead of search requests", HelpName = "bytes", CustomParser = ParseSize };
        Option<int> threads = CommonArguments.Whole("--threads", "Event-loop threads that run the connections", 1, 1, "-t");
        Option<BenchEngine?> engine = new("--engine")
        {
            Description = "The socket driver: selector, event loops on Framewire's Selector (Linux only); async, .NET's async sockets "
                + "(default selector on Linux, else async); both speak TLS",
            HelpName = Engines.HelpName,
            CustomParser = Engines.Parse,
        };
        Option<double> timeout = Seconds("--timeout", "How long a connection may wait for an answer or a connect", 5);
        Option<bool> json = new("--json") { Description = "Print exactly one JSON line (snake_case figures) instead of the table" };
        (Option[] tlsOptions, Func<ParseResult, ClientTls> readTls) = ClientTls.CreateOptions();
        var command = new Command(
            "bench",
            "Load generator for any of the servers: checks every answer byte for byte and reports msgs/s, MiB/s (request plus answer "
            + "bytes) and latency percentiles in µs")
        {
            mode, host, port, connections, depth, duration, warmup, requests, rate, size, binary, threads, engine, timeout, json,
        };
        foreach (Option option in tlsOptions)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            bool asJson = result.GetValue(json);
            ClientTls tls = readTls(result);
            var settings = new BenchSettings(result.GetValue(mode), result.GetValue(host)!, result.GetValue(port))
            {
                Connections = result.GetValue(connections),
                Depth = result.GetValue(depth),
                Duration = TimeSpan.FromSeconds(result.GetValue(duration)),
                Warmup = result.GetValue(warmup) is double seconds ? TimeSpan.FromSeconds(seconds) : null,
                Requests = result.GetValue(requests),
                Rate = result.GetValue(rate),
                Size = ToInt(result.GetValue(size)),
                BinarySize = ToInt(result.GetValue(binary)),
                Threads = result.GetValue(threads),
                Engine = result.GetValue(engine) ?? BenchSettings.DefaultEngine,
                Tls = tls,
                Timeout = TimeSpan.FromSeconds(result.GetValue(timeout)),
                Json = asJson,
                ShowProgress = !asJson && !Console.IsOutputRedirected,
            };

            // Before this process opens any socket: the runtime reads its socket settings once.
            if (settings.Engine == BenchEngine.Async)
            {
                SocketThreads.Configure(settings.Threads);
            }

            return await RunAsync(settings, Console.Out, Console.Error, linked.Token);
        });
        return command;
    }

    public static async Task<int> RunAsync(BenchSettings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        EndPoint endPoint;
        Workload workload;
        TlsClientOptions? tls;
        try
        {
            string? problem = settings.Validate();
            endPoint = problem is null ? Endpoints.Parse(settings.Host, settings.Port) : throw new ArgumentException(problem);
            tls = settings.Tls.Load();
            workload = Workload.Create(settings);
            problem = settings.Validate(workload);
            if (problem is not null)
            {
                throw new ArgumentException(problem);
            }
        }
        catch (ArgumentException e)
        {
            return Failures.Refused(stderr, e);
        }

        string target = Endpoints.Format(endPoint);
        var run = new RunControl(settings);
        var connections = new BenchConnection[settings.Connections];
        for (int i = 0; i < connections.Length; i++)
        {
            connections[i] = new BenchConnection(i, workload, run);
        }

        long end;
        ClientUsage usage;
        try
        {
            BenchDriver driver = BenchDriver.Create(settings, endPoint, tls, run);
            if (settings.Mode != BenchMode.Oneshot)
            {
                string? failure;
                try
                {
                    failure = await driver.ConnectAsync(connections, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    failure = "interrupted";
                }

                if (failure is not null)
                {
                    await stderr.WriteLineAsync($"Error: cannot connect to {target}: {failure}").ConfigureAwait(false);
                    return (int)ExitCode.Failure;
                }
            }

            using CancellationTokenRegistration stop = cancellationToken.Register(run.Stop);
            Task running = driver.RunAsync(connections);
            Task<ClientUsage> atMeasureStart = ClientUsage.SampleAtAsync(run.MeasureFrom, running);
            if (settings.ShowProgress)
            {
                await ProgressDisplay.ShowAsync(stdout, run, connections, running).ConfigureAwait(false);
            }

            await running.ConfigureAwait(false);
            end = Stopwatch.GetTimestamp();
            usage = ClientUsage.Sample() - await atMeasureStart.ConfigureAwait(false);
        }
        finally
        {
            foreach (BenchConnection connection in connections)
            {
                connection.Dispose();
            }
        }

        BenchReport report = BenchReport.Create(settings, workload, target, run, connections, end, usage);
        if (settings.Json)
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(report, BenchJsonContext.Readable.BenchReport)).ConfigureAwait(false);
        }
        else
        {
            ResultTable.Write(stdout, report);
        }

        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        if (report.Errors > 0)
        {
            await stderr.WriteLineAsync($"Error: {report.Errors} request(s) got no correct answer; first: {report.FirstError}").ConfigureAwait(false);
        }

        return report.Errors > 0 || report.Interrupted ? (int)ExitCode.Failure : (int)ExitCode.Success;
    }

    private static Option<double> Seconds(string name, string description, double defaultSeconds, params string[] aliases) => new(name, aliases)
    {
        Description = description,
        HelpName = "seconds",
        DefaultValueFactory = _ => defaultSeconds,
        CustomParser = result => ParseSeconds(result, positive: true) ?? 0,
    };

    /// <summary>Seconds as a number with an optional unit: <c>10</c>, <c>10s</c>, <c>1.5</c>, <c>500ms</c>, <c>2m</c>.</summary>
    private static double? ParseSeconds(ArgumentResult result, bool positive)
    {
        string text = CommonArguments.TokenOf(result).Trim();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (text[..^2], 0.001),
            _ when text.EndsWith('s') || text.EndsWith('S') => (text[..^1], 1),
            _ when text.EndsWith('m') || text.EndsWith('M') => (text[..^1], 60),
            _ => (text, 1),
        };
        if (double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && (value > 0 || !positive))
        {
            return value * scale;
        }

        return CommonArguments.Reject<double?>(result, positive ? "a duration above 0 (such as 10, 10s, 500ms, 1m)" : "a duration (such as 2, 2s, 500ms, 0)");
    }

    private static long? ParseSize(ArgumentResult result) =>
        SizeParser.TryParse(CommonArguments.TokenOf(result), out long bytes) && bytes <= int.MaxValue
            ? bytes
            : CommonArguments.Reject<long?>(result, "a size up to 2 GiB (such as 64, 4KiB, 1MiB)");

    private static int? ToInt(long? value) => value is long bytes ? (int)bytes : null;
}
