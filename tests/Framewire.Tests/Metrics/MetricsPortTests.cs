using System.Net;
using System.Net.Sockets;
using Framewire.Cli.Commands;
using Framewire.Client;
using Framewire.Tests.Support;

namespace Framewire.Tests.Metrics;

/// <summary><c>--metrics-port</c>: the servers' counters scraped over HTTP in the Prometheus text format.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsPortTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData("async")]
    [InlineData("selector")]
    public async Task AppServer_ServesPrometheusText(string engine)
    {
        if (engine == "selector" && !OperatingSystem.IsLinux())
        {
            return;
        }

        const int Requests = 7;
        int metricsPort = FreePort();
        var settings = new AppServerCommand.Settings("127.0.0.1", 0) with
        {
            Engine = Enum.Parse<Framewire.Engines.ServerEngine>(engine, ignoreCase: true),
            MetricsPort = metricsPort,
        };
        var stdout = new LineWriter();
        using var stop = new CancellationTokenSource();
        Task<int> running = AppServerCommand.RunAsync(settings, stdout, new StringWriter(), stop.Token);
        try
        {
            int port = await stdout.WaitForListeningPortAsync().WaitAsync(Timeout);
            await using (MessageClient client = await MessageClient.ConnectAsync("127.0.0.1", port))
            {
                for (int i = 0; i < Requests; i++)
                {
                    await client.SearchAsync("morpheus");
                }
            }

            string text = await ScrapeUntilAsync(metricsPort, $"framewire_connections_active{{otel_scope_name=\"Framewire\",engine=\"{engine}\"}} 0");
            string labels = $"{{otel_scope_name=\"Framewire\",engine=\"{engine}\"}}";
            Assert.Contains($"framewire_frames_received_total{labels} {Requests}\n", text, StringComparison.Ordinal);
            Assert.Contains($"framewire_frames_sent_total{labels} {Requests}\n", text, StringComparison.Ordinal);
            Assert.Contains($"framewire_connections_total{labels} 1\n", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE framewire_connections_active gauge", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE framewire_request_duration_seconds histogram", text, StringComparison.Ordinal);
            Assert.Contains($"framewire_request_duration_seconds_count{labels} {Requests}\n", text, StringComparison.Ordinal);
            Assert.Contains($"framewire_request_duration_seconds_bucket{{otel_scope_name=\"Framewire\",engine=\"{engine}\",le=\"+Inf\"}} {Requests}\n", text, StringComparison.Ordinal);
            Assert.Contains("framewire_bytes_received_bytes_total" + labels, text, StringComparison.Ordinal);

            // The runtime's meter rides along: bench/gc_flat.sh reads the GC's counts from it.
            Assert.Contains("dotnet_gc_collections_total{", text, StringComparison.Ordinal);
            Assert.Contains("dotnet_gc_heap_total_allocated_bytes_total", text, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await running.WaitAsync(Timeout));
        }

        // The exporter stops with the server.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics")));
    }

    [Fact]
    public async Task MulticonnServer_ServesMetrics()
    {
        int metricsPort = FreePort();
        var settings = new MulticonnServerCommand.Settings("127.0.0.1", 0) { MetricsPort = metricsPort };
        var stdout = new LineWriter();
        using var stop = new CancellationTokenSource();
        Task<int> running = MulticonnServerCommand.RunAsync(settings, stdout, new StringWriter(), stop.Token);
        try
        {
            int port = await stdout.WaitForListeningPortAsync().WaitAsync(Timeout);
            using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                await socket.ConnectAsync(IPAddress.Loopback, port);
            }

            string text = await ScrapeUntilAsync(metricsPort, "framewire_connections_total{");
            Assert.Contains("framewire_connections_total{otel_scope_name=\"Framewire\",engine=\"selector\"} 1\n", text, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await running.WaitAsync(Timeout));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(70000)]
    public async Task BadMetricsPort_ExitsWithUsageError(int metricsPort)
    {
        var stderr = new StringWriter();
        int code = await AppServerCommand.RunAsync(
            new AppServerCommand.Settings("127.0.0.1", 0) with { MetricsPort = metricsPort }, new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Contains("--metrics-port", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsPortInUse_ExitsWithFailure()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int metricsPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var stderr = new StringWriter();

        int code = await AppServerCommand.RunAsync(
            new AppServerCommand.Settings("127.0.0.1", 0) with { MetricsPort = metricsPort }, new StringWriter(), stderr, CancellationToken.None)
            .WaitAsync(Timeout);

        Assert.Equal(1, code);
        Assert.StartsWith($"Error: cannot serve metrics on http://127.0.0.1:{metricsPort}/metrics: ", stderr.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Scrapes until the text contains <paramref name="expected"/> (connections close asynchronously).</summary>
    private static async Task<string> ScrapeUntilAsync(int port, string expected)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var uri = new Uri($"http://127.0.0.1:{port}/metrics");
        DateTime deadline = DateTime.UtcNow + Timeout;
        string text;
        do
        {
            text = await http.GetStringAsync(uri);
            if (text.Contains(expected, StringComparison.Ordinal))
            {
                return text;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"The scrape never contained {expected}:\n{text}");
        return text;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
