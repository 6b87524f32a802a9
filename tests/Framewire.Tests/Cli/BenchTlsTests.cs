using System.Globalization;
using System.Text.Json;
using Framewire.Cli.Bench;
using Framewire.Cli.Commands;
using Framewire.Engines;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary>
/// <c>framewire bench --tls</c> against TLS servers on loopback that present a certificate from a throwaway CA:
/// in-process servers whose answers are counted, and the built command as real processes.
/// </summary>
[Collection(LoadTests.Name)]
public sealed class BenchTlsTests : IDisposable
{
    private readonly TestCertificates _certificates = TestCertificates.Create();

    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task Frame_OverTls_EveryAnswerCheckedAndCountedByTheServer()
    {
        var handler = new CountingHandler();
        await using RunningServer server = await StartAsync(handler, mutual: false);

        (int code, JsonElement report, string stderr) = await RunAsync(Settings(BenchMode.Frame, server.Port, Trusting()) with { Requests = 3000, Connections = 4, Depth = 4 });

        Assert.True(code == 0, stderr);
        Assert.True(report.GetProperty("tls").GetBoolean());
        Assert.Equal("async", report.GetProperty("engine").GetString());
        Assert.Equal(3000, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
        Assert.Equal(3000, handler.Answered);
        Assert.Equal(4, server.Server.AcceptedTotal);
    }

    [Fact]
    public async Task Oneshot_OverTls_AHandshakeAndAnAnswerPerRequest()
    {
        var handler = new CountingHandler();
        await using RunningServer server = await StartAsync(handler, mutual: false);

        (int code, JsonElement report, string stderr) = await RunAsync(Settings(BenchMode.Oneshot, server.Port, Trusting()) with { Requests = 120, Connections = 4 });

        Assert.True(code == 0, stderr);
        Assert.True(report.GetProperty("tls").GetBoolean());
        Assert.Equal(120, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
        Assert.Equal(120, handler.Answered);
        Assert.Equal(120, server.Server.AcceptedTotal);
    }

    [Fact]
    public async Task Frame_OverTlsAtRate_PacerSendsThroughTheTlsStreams()
    {
        var handler = new CountingHandler();
        await using RunningServer server = await StartAsync(handler, mutual: false);

        (int code, JsonElement report, string stderr) = await RunAsync(Settings(BenchMode.Frame, server.Port, Trusting()) with { Requests = 400, Connections = 4, Depth = 2, Rate = 2000 });

        Assert.True(code == 0, stderr);
        Assert.Equal(400, report.GetProperty("messages").GetInt64());
        Assert.Equal(400, handler.Answered);
        Assert.InRange(report.GetProperty("seconds").GetDouble(), 0.19, 10);
    }

    [Fact]
    public async Task Frame_MutualTlsWithClientCertificate_EveryAnswerCorrect()
    {
        var handler = new CountingHandler();
        await using RunningServer server = await StartAsync(handler, mutual: true);
        var tls = new ClientTls(true, _certificates.CaPath, _certificates.ClientCertPath, _certificates.ClientKeyPath);

        (int code, JsonElement report, string stderr) = await RunAsync(Settings(BenchMode.Frame, server.Port, tls) with { Requests = 500, Connections = 2, Depth = 2 });

        Assert.True(code == 0, stderr);
        Assert.Equal(500, report.GetProperty("messages").GetInt64());
        Assert.Equal(500, handler.Answered);
    }

    [Fact]
    public async Task Frame_WithoutTheCa_FailsBeforeMeasuringNamingTheCertificate()
    {
        await using RunningServer server = await StartAsync(new CountingHandler(), mutual: false);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = await BenchCommand.RunAsync(Settings(BenchMode.Frame, server.Port, new ClientTls(true, null, null, null)) with { Requests = 100 }, stdout, stderr, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stdout.ToString());
        Assert.Contains("TLS handshake failed", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("certificate", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oneshot_WithoutTheCa_EveryRequestFailsNamingTheCertificate()
    {
        var handler = new CountingHandler();
        await using RunningServer server = await StartAsync(handler, mutual: false);

        (int code, JsonElement report, string stderr) = await RunAsync(Settings(BenchMode.Oneshot, server.Port, new ClientTls(true, null, null, null)) with { Requests = 20, Connections = 2 });

        Assert.Equal(1, code);
        Assert.Equal(20, report.GetProperty("errors_connect").GetInt64());
        Assert.Equal(0, report.GetProperty("messages").GetInt64());
        Assert.Contains("certificate", report.GetProperty("first_error").GetString(), StringComparison.Ordinal);
        Assert.Contains("certificate", stderr, StringComparison.Ordinal);
        Assert.Equal(0, handler.Answered);
    }

    [Fact]
    public async Task SelectorEngineWithTls_RefusedAsAUsageError()
    {
        var stderr = new StringWriter();

        int code = await BenchCommand.RunAsync(
            Settings(BenchMode.Frame, 1, Trusting()) with { Engine = BenchEngine.Selector }, new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Contains("--engine selector", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("TLS", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_SelectorEngineWithTls_ExitsTwo()
    {
        (int code, _, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("bench", "frame", "--port", "1", "--tls", "--engine", "selector", "-n", "10"), TimeSpan.FromSeconds(30));

        Assert.Equal(2, code);
        Assert.Contains("cannot do TLS", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_BenchAgainstAppServerOverTls_AsyncEngineByDefaultAndEveryAnswerCorrect()
    {
        await using ChildProcess server = ChildProcess.StartFramewire(
            "app-server", "127.0.0.1", "0", "--tls-cert", _certificates.ServerCertPath, "--tls-key", _certificates.ServerKeyPath);
        string port = (await server.WaitForListeningPortAsync()).ToString(CultureInfo.InvariantCulture);

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("bench", "frame", "--port", port, "--tls-ca", _certificates.CaPath, "-n", "2000", "-c", "4", "--depth", "4", "--timeout", "10", "--json"),
            TimeSpan.FromSeconds(60));

        Assert.True(code == 0, stderr);
        JsonElement report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("async", report.GetProperty("engine").GetString());
        Assert.True(report.GetProperty("tls").GetBoolean());
        Assert.Equal(2000, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("Stopped after serving 4 connection(s)", server.Stdout.Text, StringComparison.Ordinal);
    }

    private static BenchSettings Settings(BenchMode mode, int port, ClientTls tls) => new(mode, "127.0.0.1", port)
    {
        Json = true,
        Timeout = TimeSpan.FromSeconds(10),
        Engine = BenchSettings.DefaultEngineFor(tls),
        Tls = tls,
    };

    private static async Task<(int Code, JsonElement Report, string Stderr)> RunAsync(BenchSettings settings)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await BenchCommand.RunAsync(settings, stdout, stderr, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        string[] lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one JSON line, got: {stdout}{stderr}");
        return (code, JsonDocument.Parse(lines[0]).RootElement.Clone(), stderr.ToString());
    }

    private ClientTls Trusting() => new(true, _certificates.CaPath, null, null);

    private Task<RunningServer> StartAsync(CountingHandler handler, bool mutual) =>
        RunningServer.StartAsync(handler, options =>
            options.Tls = TlsServerOptions.FromPemFiles(_certificates.ServerCertPath, _certificates.ServerKeyPath, mutual ? _certificates.CaPath : null));
}
