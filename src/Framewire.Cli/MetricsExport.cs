using System.CommandLine;
using System.Net;
using System.Runtime.ExceptionServices;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Framewire.Cli;

/// <summary>
/// <c>--metrics-port</c>: serves the <c>Framewire</c> meter and the runtime's <c>System.Runtime</c> meter in the Prometheus text format on
/// <c>http://127.0.0.1:PORT/metrics</c>, through OpenTelemetry's stand-alone HttpListener exporter.
/// </summary>
internal static class MetricsExport
{
    /// <summary>Request-duration buckets in seconds, from 50 µs to 10 s (OpenTelemetry's defaults are for milliseconds).</summary>
    private static readonly double[] DurationBuckets =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>The meter the .NET runtime publishes its own metrics on (<c>dotnet.gc.collections</c> and the rest).</summary>
    private const string RuntimeMeterName = "System.Runtime";

    public static Option<int?> CreateOption() => new("--metrics-port")
    {
        Description = "Serve Prometheus metrics on http://127.0.0.1:PORT/metrics (loopback only)",
        HelpName = "port",
        CustomParser = result => int.TryParse(Commands.CommonArguments.TokenOf(result), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) && port is >= 1 and <= 65535
            ? port
            : Commands.CommonArguments.Reject<int?>(result, "a port number from 1 to 65535"),
    };

    /// <summary>Starts the exporter when <paramref name="port"/> is set; null when it is not.</summary>
    /// <exception cref="ArgumentException">The port is out of range.</exception>
    /// <exception cref="HttpListenerException">The port cannot be listened on.</exception>
    public static IDisposable? Start(int? port, TextWriter stdout)
    {
        if (port is not { } value)
        {
            return null;
        }

        if (value is < 1 or > 65535)
        {
            throw new ArgumentException($"--metrics-port must be from 1 to 65535, not {value}.");
        }

        MeterProvider provider;
        try
        {
            provider = Sdk.CreateMeterProviderBuilder()
                .AddMeter(FramewireMetrics.MeterName)

                // The runtime's own meter: GC collections and allocated bytes, heap sizes, thread pool, CPU time.
                .AddMeter(RuntimeMeterName)
                .AddView("framewire.request.duration", new ExplicitBucketHistogramConfiguration { Boundaries = DurationBuckets })
                .AddPrometheusHttpListener(options =>
                {
                    options.Host = "127.0.0.1";
                    options.Port = value;
                    options.ScrapeEndpointPath = "/metrics";

                    // Every scrape reads the counters afresh; Prometheus scrapes seconds apart anyway.
                    options.ScrapeResponseCacheDurationMilliseconds = 0;
                })
                .Build();
        }
        catch (InvalidOperationException e) when (e.InnerException is HttpListenerException listen)
        {
            // The exporter wraps the listener's failure (such as the port being taken).
            ExceptionDispatchInfo.Throw(listen);
            throw;
        }

        stdout.WriteLine($"Metrics on http://127.0.0.1:{value}/metrics");
        return provider;
    }
}
