using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Framewire.Apps;
using Framewire.Cli.Bench;
using Framewire.Cli.Commands;
using Framewire.Engines;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary>
/// <c>framewire bench</c> run in-process against real servers on loopback, its output captured. The runs load the
/// CPU on purpose, so they run alone rather than beside timing-sensitive tests.
/// </summary>
[Collection(LoadTests.Name)]
public class BenchCommandTests
{
    private static readonly string[] JsonFields =
    [
        "mode", "connections", "depth", "seconds", "messages", "errors", "msgs_per_s", "mib_per_s",
        "p50_us", "p90_us", "p99_us", "p999_us", "max_us",
    ];

    [Theory]
    [Engines]
    public async Task Echo_AgainstEchoServer_EveryRequestAnsweredAndMeasured(string engine)
    {
        await using RunningServer server = await RunningServer.StartEchoAsync();

        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Echo, server.Port, engine) with { Requests = 3000, Connections = 4, Depth = 8 });

        Assert.Equal(0, code);
        foreach (string field in JsonFields)
        {
            Assert.True(report.TryGetProperty(field, out _), $"missing {field}");
        }

        Assert.Equal("echo", report.GetProperty("mode").GetString());
        Assert.Equal(4, report.GetProperty("connections").GetInt32());
        Assert.Equal(8, report.GetProperty("depth").GetInt32());
        Assert.Equal(3000, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
        Assert.Equal(3000 * 64 * 2, report.GetProperty("bytes").GetInt64());
        Assert.True(report.GetProperty("msgs_per_s").GetDouble() > 0);
        Assert.True(report.GetProperty("mib_per_s").GetDouble() > 0);
        double p50 = report.GetProperty("p50_us").GetDouble();
        Assert.True(p50 > 0 && p50 <= report.GetProperty("p99_us").GetDouble() && report.GetProperty("p99_us").GetDouble() <= report.GetProperty("max_us").GetDouble());
    }

    [Theory]
    [Engines]
    public async Task Echo_OddSizeOverUnixSocket_EveryRequestAnswered(string engine)
    {
        string path = Path.Combine(Path.GetTempPath(), $"fw-bench-{Guid.NewGuid():N}.sock");
        await using RunningServer server = await RunningServer.StartEchoAsync(options => options.EndPoint = new UnixDomainSocketEndPoint(path));

        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Echo, 0, engine) with { Host = "unix:" + path, Requests = 500, Connections = 3, Depth = 3, Size = 5 });

        Assert.Equal(0, code);
        Assert.Equal(500, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
    }

    [Theory]
    [Engines]
    public async Task Frame_AgainstSearchServer_EveryAnswerIsTheTutorials(string engine)
    {
        await using RunningServer server = await RunningServer.StartAsync();

        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Frame, server.Port, engine) with { Requests = 2000, Connections = 4, Depth = 4 });

        Assert.Equal(0, code);
        Assert.Equal("frame", report.GetProperty("mode").GetString());
        Assert.Equal("search", report.GetProperty("workload").GetString());
        Assert.Equal(2000, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
    }

    [Theory]
    [Engines]
    public async Task FrameBinary_AgainstSearchServer_EveryAnswerEchoesTheFirstTenBytes(string engine)
    {
        await using RunningServer server = await RunningServer.StartAsync();

        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Frame, server.Port, engine) with { Requests = 1000, Connections = 2, Depth = 4, BinarySize = 300 });

        Assert.Equal(0, code);
        Assert.Equal("binary 300 B", report.GetProperty("workload").GetString());
        Assert.Equal(1000, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
    }

    [Theory]
    [Engines]
    public async Task Oneshot_AgainstSearchServer_OneConnectionPerRequest(string engine)
    {
        await using RunningServer server = await RunningServer.StartAsync();

        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Oneshot, server.Port, engine) with { Requests = 300, Connections = 4 });

        Assert.Equal(0, code);
        Assert.Equal(300, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
        Assert.Equal(300, server.Server.AcceptedTotal);
    }

    [Theory]
    [Engines]
    public async Task Frame_AtRate_PacesTheRequests(string engine)
    {
        await using RunningServer server = await RunningServer.StartAsync();

        // 400 requests at 2,000/s cannot be done in less than about 0.2 s.
        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Frame, server.Port, engine) with { Requests = 400, Connections = 4, Depth = 2, Rate = 2000 });

        Assert.Equal(0, code);
        Assert.Equal(400, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
        Assert.InRange(report.GetProperty("seconds").GetDouble(), 0.19, 5);
        Assert.Equal(2000, report.GetProperty("rate").GetDouble());
    }

    [Theory]
    [Engines]
    public async Task Frame_ServerAnswersADifferentText_CountsErrorsAndFails(string engine)
    {
        var table = new Dictionary<string, string>(SearchHandler.DefaultTable) { ["ring"] = "In the caves beneath the Misty Mountains." };
        await using RunningServer server = await RunningServer.StartAsync(new SearchHandler(table));
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = await BenchCommand.RunAsync(Settings(BenchMode.Frame, server.Port, engine) with { Requests = 40, Connections = 1 }, stdout, stderr, CancellationToken.None);

        Assert.Equal(1, code);
        JsonElement report = JsonDocument.Parse(stdout.ToString()).RootElement;
        Assert.True(report.GetProperty("errors_mismatch").GetInt64() > 0);
        Assert.Equal(40, report.GetProperty("messages").GetInt64() + report.GetProperty("errors").GetInt64());
        Assert.Contains("answer 1 differs", report.GetProperty("first_error").GetString(), StringComparison.Ordinal);
        Assert.Contains("Error:", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [Engines]
    public async Task Echo_ServerAnswersGarbage_CountsErrorsAndFails(string engine)
    {
        await using var server = RawServer.Start(static (received, answer) => answer.Write("garbage!"u8));

        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Echo, server.Port, engine) with { Requests = 20, Connections = 2, Size = 8 });

        Assert.Equal(1, code);
        Assert.Equal(20, report.GetProperty("errors_mismatch").GetInt64());
        Assert.Equal(0, report.GetProperty("messages").GetInt64());
    }

    [Theory]
    [Engines]
    public async Task Echo_ServerEchoesOutOfOrder_CaughtBySequenceNumbers(string engine)
    {
        // Echoes every pair of 8-byte messages swapped: the same bytes overall, in the wrong order.
        await using var server = RawServer.Start(static (received, answer) =>
        {
            for (int i = 0; i + 16 <= received.Length; i += 16)
            {
                answer.Write(received.Slice(i + 8, 8));
                answer.Write(received.Slice(i, 8));
            }
        }, unit: 16);

        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Echo, server.Port, engine) with { Requests = 20, Connections = 1, Depth = 2, Size = 8 });

        Assert.Equal(1, code);
        Assert.True(report.GetProperty("errors_mismatch").GetInt64() > 0);
        Assert.Contains("answer 0 differs at byte 0", report.GetProperty("first_error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [Engines]
    public async Task Frame_ServerNeverAnswers_TimesOutAndFails(string engine)
    {
        await using var server = RawServer.Start(static (_, _) => { });

        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Frame, server.Port, engine) with { Requests = 4, Connections = 2, Timeout = TimeSpan.FromMilliseconds(300) });

        Assert.Equal(1, code);
        Assert.Equal(4, report.GetProperty("errors_timeout").GetInt64());
        Assert.Equal(0, report.GetProperty("messages").GetInt64());
    }

    [Theory]
    [Engines]
    public async Task Echo_ServerClosesEveryConnection_CountsErrorsAndFails(string engine)
    {
        await using var server = RawServer.Start(static (_, _) => { }, closeOnData: true);

        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Echo, server.Port, engine) with { Requests = 20, Connections = 2, Depth = 2 });

        Assert.Equal(1, code);
        Assert.Equal(0, report.GetProperty("messages").GetInt64());
        Assert.Equal(20, report.GetProperty("errors").GetInt64());
        Assert.Equal(20, report.GetProperty("errors_closed").GetInt64() + report.GetProperty("errors_reset").GetInt64());
    }

    [Theory]
    [Engines]
    public async Task Frame_NoServer_ExitsWithFailureBeforeMeasuring(string engine)
    {
        var stderr = new StringWriter();

        int code = await BenchCommand.RunAsync(Settings(BenchMode.Frame, FreePort(), engine) with { Requests = 10 }, new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains("cannot connect", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Oneshot", 4, null, null)]
    [InlineData("Frame", 1, 32, null)]
    [InlineData("Echo", 1, null, 16)]
    public async Task BadCombination_ExitsWithUsageError(string mode, int depth, int? size, int? binary)
    {
        var stderr = new StringWriter();

        int code = await BenchCommand.RunAsync(Settings(Enum.Parse<BenchMode>(mode), 1) with { Depth = depth, Size = size, BinarySize = binary }, new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.StartsWith("Error:", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [Engines]
    public async Task Table_WithoutJson_ShowsThroughputAndPercentiles(string engine)
    {
        await using RunningServer server = await RunningServer.StartEchoAsync();
        var stdout = new StringWriter();

        int code = await BenchCommand.RunAsync(Settings(BenchMode.Echo, server.Port, engine) with { Requests = 500, Connections = 2, Json = false }, stdout, new StringWriter(), CancellationToken.None);

        Assert.Equal(0, code);
        string text = stdout.ToString();
        foreach (string heading in new[] { "messages", "msgs/s", "MiB/s", "p50", "p99.9", "max", "500" })
        {
            Assert.Contains(heading, text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [Engines]
    public async Task Requests_ServerCountsExactlyWhatTheGeneratorReports(string engine)
    {
        var handler = new CountingHandler();
        await using RunningServer server = await RunningServer.StartAsync(handler);

        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Frame, server.Port, engine) with { Requests = 5000, Connections = 8, Depth = 4 });

        Assert.Equal(0, code);
        Assert.Equal(5000, report.GetProperty("messages").GetInt64());
        Assert.Equal(5000, handler.Answered);
    }

    [Theory]
    [Engines]
    public async Task Duration_ServerCountsExactlyWhatTheGeneratorReports(string engine)
    {
        var handler = new CountingHandler();
        await using RunningServer server = await RunningServer.StartAsync(handler);

        (int code, JsonElement report) = await RunJsonAsync(Settings(BenchMode.Frame, server.Port, engine) with
        {
            Requests = null,
            Duration = TimeSpan.FromSeconds(0.6),
            Warmup = TimeSpan.FromSeconds(0.3),
            Connections = 8,
            Depth = 4,
        });

        Assert.Equal(0, code);
        long measured = report.GetProperty("messages").GetInt64();
        long warmup = report.GetProperty("warmup_messages").GetInt64();
        Assert.True(measured > 0 && warmup > 0, $"measured {measured}, warm-up {warmup}");
        Assert.Equal(handler.Answered, measured + warmup);
        Assert.InRange(report.GetProperty("seconds").GetDouble(), 0.6, 5);
    }

    [Theory]
    [Engines]
    public async Task KeptOpenConnections_AllocateNothingPerMessage(string engine)
    {
        await using RunningServer server = await RunningServer.StartEchoAsync();

        // As a process of its own, so that the figure is the generator's alone; a request that allocated even one
        // small object would cost 24 bytes or more.
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("bench", "echo", "--port", server.Port.ToString(CultureInfo.InvariantCulture), "-n", "200000", "-c", "4", "--depth", "8", "--engine", engine, "--json"),
            TimeSpan.FromSeconds(60));

        Assert.True(code == 0, stderr);
        JsonElement report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(200000, report.GetProperty("messages").GetInt64());
        Assert.InRange(report.GetProperty("client_alloc_bytes_per_msg").GetDouble(), 0, 2);
    }

    private static BenchSettings Settings(BenchMode mode, int port, string engine = "async") => new(mode, "127.0.0.1", port)
    {
        Json = true,
        Timeout = TimeSpan.FromSeconds(10),
        Engine = Enum.Parse<BenchEngine>(engine, ignoreCase: true),
    };

    private static async Task<(int Code, JsonElement Report)> RunJsonAsync(BenchSettings settings)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await BenchCommand.RunAsync(settings, stdout, stderr, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        string[] lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one JSON line, got: {stdout}{stderr}");
        return (code, JsonDocument.Parse(lines[0]).RootElement.Clone());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A raw loopback server that answers what it reads, <paramref name="unit"/> bytes at a time, with whatever the test says.</summary>
    private sealed class RawServer : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;

        private RawServer(Socket listener, Action<ReadOnlySpan<byte>, ArrayBufferWriter<byte>> answer, int unit, bool closeOnData)
        {
            _listener = listener;
            _accepting = AcceptAsync(answer, unit, closeOnData);
        }

        public delegate void Answer(ReadOnlySpan<byte> received, ArrayBufferWriter<byte> answer);

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        /// <param name="closeOnData">Close each connection as soon as anything arrives on it, instead of answering.</param>
        public static RawServer Start(Answer answer, int unit = 1, bool closeOnData = false)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            return new RawServer(listener, (received, output) => answer(received, output), unit, closeOnData);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            await _accepting;
            _stop.Dispose();
        }

        private async Task AcceptAsync(Action<ReadOnlySpan<byte>, ArrayBufferWriter<byte>> answer, int unit, bool closeOnData)
        {
            var clients = new List<Task>();
            try
            {
                while (true)
                {
                    Socket client = await _listener.AcceptAsync(_stop.Token);
                    clients.Add(ServeAsync(client, answer, unit, closeOnData));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }

            await Task.WhenAll(clients);
        }

        private async Task ServeAsync(Socket client, Action<ReadOnlySpan<byte>, ArrayBufferWriter<byte>> answer, int unit, bool closeOnData)
        {
            using (client)
            {
                var pending = new List<byte>();
                byte[] buffer = new byte[4096];
                try
                {
                    while (true)
                    {
                        int n = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                        if (n == 0 || closeOnData)
                        {
                            return;
                        }

                        pending.AddRange(buffer.AsSpan(0, n));
                        int usable = pending.Count / unit * unit;
                        var output = new ArrayBufferWriter<byte>();
                        answer(pending.GetRange(0, usable).ToArray(), output);
                        pending.RemoveRange(0, usable);
                        if (output.WrittenCount > 0)
                        {
                            await client.SendAsync(output.WrittenMemory, SocketFlags.None, _stop.Token);
                        }
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    // The generator closed the connection, or the test is over.
                }
            }
        }
    }
}
