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
/// <c>framewire bench --tls</c> on both drivers against TLS servers on loopback that present a certificate from a
/// throwaway CA: in-process servers whose answers are counted, and the built command as real processes.
/// </summary>
[Collection(LoadTests.Name)]
public sealed class BenchTlsTests : IDisposable
{
    private readonly TestCertificates _certificates = TestCertificates.Create();

    public void Dispose() => _certificates.Dispose();

    [Theory]
    [Engines]
    public async Task Frame_OverTls_EveryAnswerCheckedAndCountedByTheServer(string engine)
    {
        var handler = new CountingHandler();
        await using RunningServer server = await StartAsync(handler, mutual: false);

        (int code, JsonElement report, string stderr) = await RunAsync(Settings(BenchMode.Frame, server.Port, Trusting(), engine) with { Requests = 3000, Connections = 4, Depth = 4 });

        Assert.True(code == 0, stderr);
        Assert.True(report.GetProperty("tls").GetBoolean());
        Assert.Equal(engine, report.GetProperty("engine").GetString());
        Assert.Equal(3000, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
        Assert.Equal(3000, handler.Answered);
        Assert.Equal(4, server.Server.AcceptedTotal);
    }

    [Theory]
    [Engines]
    public async Task FrameBinary_LargerThanARecordOverTls_EveryAnswerCorrect(string engine)
    {
        await using RunningServer server = await StartAsync(new CountingHandler(), mutual: false);

        // 100 KB requests four deep: batches of several TLS records, encrypted in slices, answers across many reads.
        (int code, JsonElement report, string stderr) = await RunAsync(
            Settings(BenchMode.Frame, server.Port, Trusting(), engine) with { Requests = 200, Connections = 2, Depth = 4, BinarySize = 100_000 });

        Assert.True(code == 0, stderr);
        Assert.Equal(200, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
    }

    [Theory]
    [Engines]
    public async Task Echo_OverTls_EveryByteBack(string engine)
    {
        await using RunningServer server = await RunningServer.StartEchoAsync(options =>
            options.Tls = TlsServerOptions.FromPemFiles(_certificates.ServerCertPath, _certificates.ServerKeyPath));

        (int code, JsonElement report, string stderr) = await RunAsync(Settings(BenchMode.Echo, server.Port, Trusting(), engine) with { Requests = 2000, Connections = 3, Depth = 8 });

        Assert.True(code == 0, stderr);
        Assert.Equal(2000, report.GetProperty("messages").GetInt64());
        Assert.Equal(2000 * 64 * 2, report.GetProperty("bytes").GetInt64());
    }

    [Theory]
    [Engines]
    public async Task Oneshot_OverMutualTls_AHandshakeWithTheClientCertificateAndAnAnswerPerRequest(string engine)
    {
        var handler = new CountingHandler();
        await using RunningServer server = await StartAsync(handler, mutual: true);

        (int code, JsonElement report, string stderr) = await RunAsync(Settings(BenchMode.Oneshot, server.Port, Mutual(), engine) with { Requests = 120, Connections = 4 });

        Assert.True(code == 0, stderr);
        Assert.True(report.GetProperty("tls").GetBoolean());
        Assert.Equal(120, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
        Assert.Equal(120, handler.Answered);
        Assert.Equal(120, server.Server.AcceptedTotal);
    }

    [Theory]
    [Engines]
    public async Task Frame_OverTlsAtRate_RequestsSentThroughTheTlsSessions(string engine)
    {
        var handler = new CountingHandler();
        await using RunningServer server = await StartAsync(handler, mutual: false);

        (int code, JsonElement report, string stderr) = await RunAsync(Settings(BenchMode.Frame, server.Port, Trusting(), engine) with { Requests = 400, Connections = 4, Depth = 2, Rate = 2000 });

        Assert.True(code == 0, stderr);
        Assert.Equal(400, report.GetProperty("messages").GetInt64());
        Assert.Equal(400, handler.Answered);
        Assert.InRange(report.GetProperty("seconds").GetDouble(), 0.19, 10);
    }

    [Theory]
    [Engines]
    public async Task Frame_MutualTlsWithClientCertificate_EveryAnswerCorrect(string engine)
    {
        var handler = new CountingHandler();
        await using RunningServer server = await StartAsync(handler, mutual: true);

        (int code, JsonElement report, string stderr) = await RunAsync(Settings(BenchMode.Frame, server.Port, Mutual(), engine) with { Requests = 500, Connections = 2, Depth = 2 });

        Assert.True(code == 0, stderr);
        Assert.Equal(500, report.GetProperty("messages").GetInt64());
        Assert.Equal(500, handler.Answered);
    }

    [Theory]
    [Engines]
    public async Task Frame_WrongAnswersOverTls_ReconnectsWithANewHandshakeAndGoesOn(string engine)
    {
        var table = new Dictionary<string, string>(SearchHandler.DefaultTable) { ["ring"] = "In the caves beneath the Misty Mountains." };
        await using RunningServer server = await RunningServer.StartAsync(new SearchHandler(table), options =>
            options.Tls = TlsServerOptions.FromPemFiles(_certificates.ServerCertPath, _certificates.ServerKeyPath));

        (int code, JsonElement report, _) = await RunAsync(Settings(BenchMode.Frame, server.Port, Trusting(), engine) with { Requests = 60, Connections = 2 });

        // Every wrong answer ends its connection; the answers after it come over a new one, with a handshake of its own
        // (but for a wrong answer to the run's last requests).
        Assert.Equal(1, code);
        long mismatches = report.GetProperty("errors_mismatch").GetInt64();
        Assert.True(mismatches > 0);
        Assert.True(report.GetProperty("messages").GetInt64() > mismatches);
        Assert.Equal(60, report.GetProperty("messages").GetInt64() + report.GetProperty("errors").GetInt64());
        Assert.InRange(server.Server.AcceptedTotal, 3, 2 + mismatches);
    }

    [Theory]
    [Engines]
    public async Task Frame_WithoutTheCa_FailsBeforeMeasuringNamingTheCertificate(string engine)
    {
        await using RunningServer server = await StartAsync(new CountingHandler(), mutual: false);

        (int code, string stdout, string stderr) = await RunTextAsync(Settings(BenchMode.Frame, server.Port, new ClientTls(true, null, null, null), engine) with { Requests = 100 });

        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stdout);
        Assert.StartsWith($"Error: cannot connect to 127.0.0.1:{server.Port}: TLS handshake failed: The remote certificate is invalid", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [Engines]
    public async Task Frame_WithAnotherCa_FailsBeforeMeasuringInOneLine(string engine)
    {
        using TestCertificates other = TestCertificates.Create();
        var handler = new CountingHandler();
        await using RunningServer server = await StartAsync(handler, mutual: false);

        (int code, string stdout, string stderr) = await RunTextAsync(
            Settings(BenchMode.Frame, server.Port, new ClientTls(true, other.CaPath, null, null), engine) with { Requests = 100, Connections = 4 });

        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stdout);
        Assert.StartsWith($"Error: cannot connect to 127.0.0.1:{server.Port}: TLS handshake failed: The remote certificate is invalid", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, handler.Answered);
    }

    [Theory]
    [Engines]
    public async Task Oneshot_WithoutTheCa_EveryRequestFailsNamingTheCertificate(string engine)
    {
        var handler = new CountingHandler();
        await using RunningServer server = await StartAsync(handler, mutual: false);

        (int code, JsonElement report, string stderr) = await RunAsync(Settings(BenchMode.Oneshot, server.Port, new ClientTls(true, null, null, null), engine) with { Requests = 20, Connections = 2 });

        Assert.Equal(1, code);
        Assert.Equal(20, report.GetProperty("errors_connect").GetInt64());
        Assert.Equal(0, report.GetProperty("messages").GetInt64());
        Assert.Contains("TLS handshake failed: The remote certificate is invalid", report.GetProperty("first_error").GetString(), StringComparison.Ordinal);
        Assert.Contains("certificate", stderr, StringComparison.Ordinal);
        Assert.Equal(0, handler.Answered);
    }

    [Theory]
    [Engines]
    public async Task Frame_ServerSilentInTheHandshake_GivesUpAfterTheTimeout(string engine)
    {
        // Accepts, and never answers the ClientHello.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;

        (int code, string stdout, string stderr) = await RunTextAsync(
            Settings(BenchMode.Frame, port, Trusting(), engine) with { Requests = 10, Connections = 2, Timeout = TimeSpan.FromSeconds(1) });

        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("0 of 2 connection(s) opened within the timeout", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_BenchAgainstAppServerOverTls_DefaultEngineAndEveryAnswerCorrect()
    {
        await using ChildProcess server = ChildProcess.StartFramewire(
            "app-server", "127.0.0.1", "0", "--tls-cert", _certificates.ServerCertPath, "--tls-key", _certificates.ServerKeyPath);
        string port = (await server.WaitForListeningPortAsync()).ToString(CultureInfo.InvariantCulture);

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("bench", "frame", "--port", port, "--tls-ca", _certificates.CaPath, "-n", "2000", "-c", "4", "--depth", "4", "--timeout", "10", "--json"),
            TimeSpan.FromSeconds(60));

        Assert.True(code == 0, stderr);
        JsonElement report = JsonDocument.Parse(stdout).RootElement;

        // --tls does not change the driver.
        Assert.Equal(BenchSettings.DefaultEngine.ToString().ToLowerInvariant(), report.GetProperty("engine").GetString());
        Assert.True(report.GetProperty("tls").GetBoolean());
        Assert.Equal(2000, report.GetProperty("messages").GetInt64());
        Assert.Equal(0, report.GetProperty("errors").GetInt64());
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("Stopped after serving 4 connection(s)", server.Stdout.Text, StringComparison.Ordinal);
    }

    [Theory]
    [Engines]
    public async Task Process_MutualTlsAgainstAppServer_ExitsZero(string engine)
    {
        await using ChildProcess server = ChildProcess.StartFramewire(
            "app-server", "127.0.0.1", "0", "--tls-cert", _certificates.ServerCertPath, "--tls-key", _certificates.ServerKeyPath, "--tls-client-ca", _certificates.CaPath);
        string port = (await server.WaitForListeningPortAsync()).ToString(CultureInfo.InvariantCulture);

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire(
                "bench", "frame", "--port", port, "--engine", engine, "--tls-ca", _certificates.CaPath, "--tls-client-cert", _certificates.ClientCertPath,
                "--tls-client-key", _certificates.ClientKeyPath, "-n", "1000", "-c", "2", "--depth", "2", "--timeout", "10", "--json"),
            TimeSpan.FromSeconds(60));

        Assert.True(code == 0, stderr);
        JsonElement report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(engine, report.GetProperty("engine").GetString());
        Assert.Equal(1000, report.GetProperty("messages").GetInt64());
    }

    private static BenchSettings Settings(BenchMode mode, int port, ClientTls tls, string engine) => new(mode, "127.0.0.1", port)
    {
        Json = true,
        Timeout = TimeSpan.FromSeconds(10),
        Engine = Enum.Parse<BenchEngine>(engine, ignoreCase: true),
        Tls = tls,
    };

    private static async Task<(int Code, JsonElement Report, string Stderr)> RunAsync(BenchSettings settings)
    {
        (int code, string stdout, string stderr) = await RunTextAsync(settings);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one JSON line, got: {stdout}{stderr}");
        return (code, JsonDocument.Parse(lines[0]).RootElement.Clone(), stderr);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunTextAsync(BenchSettings settings)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await BenchCommand.RunAsync(settings, stdout, stderr, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        return (code, stdout.ToString(), stderr.ToString());
    }

    private ClientTls Trusting() => new(true, _certificates.CaPath, null, null);

    private ClientTls Mutual() => new(true, _certificates.CaPath, _certificates.ClientCertPath, _certificates.ClientKeyPath);

    private Task<RunningServer> StartAsync(CountingHandler handler, bool mutual) =>
        RunningServer.StartAsync(handler, options =>
            options.Tls = TlsServerOptions.FromPemFiles(_certificates.ServerCertPath, _certificates.ServerKeyPath, mutual ? _certificates.CaPath : null));
}
