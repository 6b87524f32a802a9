using System.Net;
using System.Net.Sockets;
using Framewire.Cli.Commands;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary>Each subcommand run in-process against real servers on loopback, output captured.</summary>
public class CommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AppClient_AgainstAppServer_PrintsTheTutorialsAnswers()
    {
        await using var server = await CommandServer.StartAsync((stdout, stderr, ct) => AppServerCommand.RunAsync(new AppServerCommand.Settings("127.0.0.1", 0), stdout, stderr, ct));

        Assert.Equal("Got result: Follow the white rabbit. \U0001f430", (await AppClientAsync(server.Port, "search", "morpheus")).Stdout.Trim());
        Assert.Equal("Got result: In the caves beneath the Misty Mountains. \U0001f48d", (await AppClientAsync(server.Port, "search", "ring")).Stdout.Trim());
        Assert.Equal("Got result: \U0001f43e Playing ball! \U0001f3d0", (await AppClientAsync(server.Port, "search", "\U0001f436")).Stdout.Trim());
        Assert.Equal("Got result: No match for 'neo'.", (await AppClientAsync(server.Port, "search", "neo")).Stdout.Trim());
        Assert.Equal("Got response: b'First 10 bytes of request: helloworld'", (await AppClientAsync(server.Port, "hello", "world")).Stdout.Trim());
        Assert.Equal("Got response: b'First 10 bytes of request: x\\xc3\\xa4rger\\xf0\\x9f\\x90'", (await AppClientAsync(server.Port, "x", "ärger🐶")).Stdout.Trim());
    }

    [Fact]
    public async Task AppServer_DataFile_ReplacesTheTable()
    {
        string data = Path.GetTempFileName();
        await File.WriteAllTextAsync(data, "{\"neo\": \"The One.\"}");
        try
        {
            await using var server = await CommandServer.StartAsync((stdout, stderr, ct) => AppServerCommand.RunAsync(
                new AppServerCommand.Settings("127.0.0.1", 0) with { DataFile = data }, stdout, stderr, ct));

            Assert.Equal("Got result: The One.", (await AppClientAsync(server.Port, "search", "neo")).Stdout.Trim());
            Assert.Equal("Got result: No match for 'morpheus'.", (await AppClientAsync(server.Port, "search", "morpheus")).Stdout.Trim());
        }
        finally
        {
            File.Delete(data);
        }
    }

    [Fact]
    public async Task AppServer_BadDataFile_ExitsWithUsageError()
    {
        string data = Path.GetTempFileName();
        await File.WriteAllTextAsync(data, "[1, 2]");
        try
        {
            var stderr = new StringWriter();
            int code = await AppServerCommand.RunAsync(new AppServerCommand.Settings("127.0.0.1", 0) with { DataFile = data }, new StringWriter(), stderr, CancellationToken.None);

            Assert.Equal(2, code);
            Assert.Contains("must be a JSON object", stderr.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(data);
        }
    }

    [Fact]
    public async Task AppClient_NoServer_ExitsWithFailure()
    {
        int port = Listeners.FreePort();
        (int code, _, string stderr) = await AppClientAsync(port, "search", "ring");

        Assert.Equal(1, code);
        Assert.StartsWith("Error:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MulticonnClient_AgainstMulticonnServer_AllBytesEchoed()
    {
        await using var server = await CommandServer.StartAsync((stdout, stderr, ct) => MulticonnServerCommand.RunAsync(new MulticonnServerCommand.Settings("127.0.0.1", 0), stdout, stderr, ct));
        var stdout = new StringWriter();

        int code = await MulticonnClientCommand.RunAsync("127.0.0.1", server.Port, 5, ["Message 1 from client.", "Message 2 from client."], Timeout, verbose: true, stdout, new StringWriter(), CancellationToken.None);

        Assert.Equal(0, code);
        string text = stdout.ToString();
        Assert.Contains("Starting connection 5 to 127.0.0.1:" + server.Port, text, StringComparison.Ordinal);
        Assert.Contains("Sending b'Message 2 from client.' to connection 3", text, StringComparison.Ordinal);
        Assert.Contains("Closing connection 1", text, StringComparison.Ordinal);
        Assert.Contains("5 of 5 connection(s) complete: 220 of 220 byte(s) echoed", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MulticonnClient_ServerThatDoesNotEcho_Fails()
    {
        // An app-server answers echo bytes with a protocol error and closes: the echo never completes.
        await using var server = await CommandServer.StartAsync((stdout, stderr, ct) => AppServerCommand.RunAsync(new AppServerCommand.Settings("127.0.0.1", 0), stdout, stderr, ct));
        var stdout = new StringWriter();

        int code = await MulticonnClientCommand.RunAsync("127.0.0.1", server.Port, 2, ["Message 1 from client."], TimeSpan.FromSeconds(3), false, stdout, new StringWriter(), CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains("0 of 2 connection(s) complete", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MulticonnClient_ServerNeverAnswers_EveryConnectionTimesOut()
    {
        // Connections complete in the listener's backlog; nobody accepts or answers them.
        using var listener = Listeners.Listen();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = await MulticonnClientCommand.RunAsync("127.0.0.1", Listeners.PortOf(listener), 3, ["ping"], TimeSpan.FromSeconds(0.5), false, stdout, stderr, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains("0 of 3 connection(s) complete: 0 of 12 byte(s) echoed", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("Error: connection 3: no complete echo within 0.5 s", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MulticonnClient_NoServer_EveryConnectionRefused()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int port = Listeners.FreePort();
        int code = await MulticonnClientCommand.RunAsync("127.0.0.1", port, 2, ["ping"], Timeout, false, stdout, stderr, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains("0 of 2 connection(s) complete", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains($"Error: connection 2: cannot connect to 127.0.0.1:{port}: connection refused", stderr.ToString(), StringComparison.Ordinal);
    }


    [Theory]
    [InlineData(new byte[0], "Error: The server closed the connection before answering.")]
    [InlineData(new byte[] { 0, 40, (byte)'{' }, "Error: The server closed the connection in the middle of a response.")]
    [InlineData(new byte[] { 0, 0 }, "Error: the answer is not a frame of the frame protocol: header_length_invalid: The header length is 0. (is this an app-server?)")]
    public async Task AppClient_ServerAnswersBadly_ExitsWithFailure(byte[] answer, string error)
    {
        using var listener = Listeners.Listen();
        Task serving = Task.Run(async () =>
        {
            using Socket client = await listener.AcceptAsync();
            await client.ReceiveAsync(new byte[4096], SocketFlags.None);
            await client.SendAsync(answer, SocketFlags.None);
            client.Shutdown(SocketShutdown.Send);
            await client.ReceiveAsync(new byte[4096], SocketFlags.None);
        });
        var stderr = new StringWriter();

        int code = await AppClientCommand.RunAsync("127.0.0.1", Listeners.PortOf(listener), "search", "ring", Timeout, false, ClientTls.None, ChecksumAlgorithm.None, new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Equal(error, stderr.ToString().Trim());
        await serving.WaitAsync(Timeout);
    }

    [Fact]
    public async Task EchoClient_AgainstEchoServerOnce_EchoesAndServerExits()
    {
        var serverOut = new LineWriter();
        Task<int> serverRun = EchoServerCommand.RunAsync("127.0.0.1", 0, once: true, verbose: true, serverOut, new StringWriter(), CancellationToken.None);
        int port = await serverOut.WaitForListeningPortAsync();
        var stdout = new StringWriter();

        int code = await EchoClientCommand.RunAsync("127.0.0.1", port, "Hello, world", Timeout, stdout, new StringWriter(), CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Equal("Received b'Hello, world'", stdout.ToString().Trim());
        Assert.Equal(0, await serverRun.WaitAsync(Timeout));
        Assert.Contains("Connected by 127.0.0.1:", serverOut.Text, StringComparison.Ordinal);
        Assert.Contains("Served 1 client(s), 12 byte(s) echoed", serverOut.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EchoServer_ServesClientsOneAfterAnother_UntilCancelled()
    {
        await using var server = await CommandServer.StartAsync((stdout, stderr, ct) => EchoServerCommand.RunAsync("127.0.0.1", 0, false, false, stdout, stderr, ct));
        for (int i = 0; i < 3; i++)
        {
            var stdout = new StringWriter();
            Assert.Equal(0, await EchoClientCommand.RunAsync("127.0.0.1", server.Port, $"round {i}", Timeout, stdout, new StringWriter(), CancellationToken.None));
            Assert.Equal($"Received b'round {i}'", stdout.ToString().Trim());
        }

        Assert.Equal(0, await server.StopAsync());
        Assert.Contains("Served 3 client(s)", server.Stdout.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EchoClient_AgainstMulticonnServer_Echoes()
    {
        await using var server = await CommandServer.StartAsync((stdout, stderr, ct) => MulticonnServerCommand.RunAsync(new MulticonnServerCommand.Settings("::1", 0), stdout, stderr, ct));
        var stdout = new StringWriter();

        Assert.Equal(0, await EchoClientCommand.RunAsync("::1", server.Port, "v6", Timeout, stdout, new StringWriter(), CancellationToken.None));
        Assert.Equal("Received b'v6'", stdout.ToString().Trim());
    }


    [Fact]
    public async Task AppServer_Tls_AppClientNeedsTlsAndTheCa()
    {
        using TestCertificates certificates = TestCertificates.Create();
        var security = new ServerSecurity([], certificates.ServerCertPath, certificates.ServerKeyPath, null);
        await using var server = await CommandServer.StartAsync((stdout, stderr, ct) => AppServerCommand.RunAsync(
            new AppServerCommand.Settings("127.0.0.1", 0) { Security = security }, stdout, stderr, ct));

        var trusting = new ClientTls(true, certificates.CaPath, null, null);
        Assert.Equal("Got result: Follow the white rabbit. \U0001f430", (await AppClientAsync(server.Port, "search", "morpheus", trusting)).Stdout.Trim());
        Assert.Equal(1, (await AppClientAsync(server.Port, "search", "morpheus")).Code);
        Assert.Equal(1, (await AppClientAsync(server.Port, "search", "morpheus", new ClientTls(true, certificates.OtherClientCertPath, null, null))).Code);
    }

    [Fact]
    public async Task AppServer_MutualTls_AppClientWithCertificateAnswered()
    {
        using TestCertificates certificates = TestCertificates.Create();
        var security = new ServerSecurity([], certificates.ServerCertPath, certificates.ServerKeyPath, certificates.CaPath);
        await using var server = await CommandServer.StartAsync((stdout, stderr, ct) => AppServerCommand.RunAsync(
            new AppServerCommand.Settings("127.0.0.1", 0) { Security = security }, stdout, stderr, ct));

        var withCertificate = new ClientTls(true, certificates.CaPath, certificates.ClientCertPath, certificates.ClientKeyPath);
        Assert.Equal("Got result: No match for 'neo'.", (await AppClientAsync(server.Port, "search", "neo", withCertificate)).Stdout.Trim());
        Assert.Equal(1, (await AppClientAsync(server.Port, "search", "neo", new ClientTls(true, certificates.CaPath, null, null))).Code);
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    public async Task AppServer_IncompleteTlsOptions_ExitsWithUsageError(bool cert, bool key, bool clientCa)
    {
        using TestCertificates certificates = TestCertificates.Create();
        var security = new ServerSecurity([], cert ? certificates.ServerCertPath : null, key ? certificates.ServerKeyPath : null, clientCa ? certificates.CaPath : null);
        var stderr = new StringWriter();

        int code = await AppServerCommand.RunAsync(new AppServerCommand.Settings("127.0.0.1", 0) { Security = security }, new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.StartsWith("Error: --tls-", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MulticonnServer_MismatchedKey_ExitsWithUsageError()
    {
        using TestCertificates certificates = TestCertificates.Create();
        var stderr = new StringWriter();

        int code = await MulticonnServerCommand.RunAsync(new MulticonnServerCommand.Settings("127.0.0.1", 0) with { Security = new ServerSecurity([], certificates.ServerCertPath, certificates.ClientKeyPath, null) }, new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Contains("cannot load the TLS files", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppClient_ClientCertificateWithoutKey_ExitsWithUsageError()
    {
        using TestCertificates certificates = TestCertificates.Create();

        (int code, _, string stderr) = await AppClientAsync(Listeners.FreePort(), "search", "x", new ClientTls(true, null, certificates.ClientCertPath, null));

        Assert.Equal(2, code);
        Assert.Contains("--tls-client-key", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("app-server --trusted-proxy 10.0.0.0/8 --trusted-proxy 127.0.0.1/32 --tls-cert c.pem --tls-key k.pem --tls-client-ca ca.pem", true)]
    [InlineData("multiconn-server --trusted-proxy fd00::/8", true)]
    [InlineData("app-server --trusted-proxy 10.0.0.1/8", false)]
    [InlineData("app-server --trusted-proxy nonsense", false)]
    [InlineData("app-server --trusted-proxy 10.0.0.1", false)]
    [InlineData("app-client 127.0.0.1 1 search x --tls --tls-ca ca.pem --tls-client-cert c.pem --tls-client-key k.pem", true)]
    public void Parse_SecurityOptions_AcceptedOrRefused(string commandLine, bool valid)
    {
        System.CommandLine.ParseResult result = Framewire.Cli.FramewireCommand.Create(CancellationToken.None).Parse(commandLine);

        Assert.Equal(valid, result.Errors.Count == 0);
    }

    [Theory]
    [InlineData("app-server --max-connections 5 --idle-timeout 0.25 --frame-timeout 1.5", true)]
    [InlineData("multiconn-server --max-connections 1 --idle-timeout 0 --frame-timeout 10", true)]
    [InlineData("app-server --max-connections 0", true)]
    [InlineData("app-server --max-connections many", false)]
    [InlineData("multiconn-server --backlog 8192", true)]
    [InlineData("app-server --backlog deep", false)]
    [InlineData("app-server --idle-timeout -1", true)]
    [InlineData("multiconn-server --frame-timeout 2s", false)]
    [InlineData("app-server --shutdown-timeout 2.5", true)]
    [InlineData("multiconn-server --shutdown-timeout soon", false)]
    [InlineData("app-server --max-in-flight 4 --send-high-water 16KiB --send-limit 2MiB --min-data-rate 1KiB", true)]
    [InlineData("multiconn-server --max-in-flight 1 --send-high-water 65536 --send-limit 1MiB --min-data-rate 0", true)]
    [InlineData("app-server --max-in-flight 0", true)]
    [InlineData("multiconn-server --send-limit lots", false)]
    [InlineData("app-server --min-data-rate -5", false)]
    public void Parse_LimitOptions_AcceptedOrRefused(string commandLine, bool valid)
    {
        System.CommandLine.ParseResult result = Framewire.Cli.FramewireCommand.Create(CancellationToken.None).Parse(commandLine);

        Assert.Equal(valid, result.Errors.Count == 0);
    }

    /// <summary>
    /// A server flag's range is the library's (MessageServerOptions.Validate): the command line reads the number and
    /// reports the library's sentence with its flags, once, and exits 2 before it listens.
    /// </summary>
    [Theory]
    [InlineData("--max-in-flight 0", "--max-in-flight is 0; it must be at least 1.")]
    [InlineData("--max-connections -3", "--max-connections is -3; it must be at least 1.")]
    [InlineData("--idle-timeout -1", "--idle-timeout is -1 s; it must be 0 s (never) or more.")]
    [InlineData("--frame-timeout -0.5", "--frame-timeout is -0.5 s; it must be 0 s (never) or more.")]
    [InlineData("--loops -1", "--loops is -1; it must be 0 (one per processor) or more.")]
    [InlineData("--backlog 0", "--backlog is 0; it must be 1 to 65535.")]
    [InlineData("--send-high-water 2MiB", "--send-limit is 1048576; it must be at least --send-high-water (2097152).")]
    [InlineData("--max-header-length 70000", "--max-header-length is 70000; it must be between 1 and 65535 bytes (the prefix is 2 bytes).")]
    public async Task AppServer_FlagOutOfRange_TheLibrarysSentenceNamingTheFlag(string flag, string sentence)
    {
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(ChildProcess.StartFramewire(["app-server", "127.0.0.1", "0", .. flag.Split(' ')]));

        Assert.Equal((2, "", "Error: " + sentence), (code, stdout, stderr.Trim()));
    }

    [Fact]
    public async Task MulticonnServer_LimitSettings_ReachTheServer()
    {
        await using var server = await CommandServer.StartAsync((stdout, stderr, ct) => MulticonnServerCommand.RunAsync(
            new MulticonnServerCommand.Settings("127.0.0.1", 0) { MaxConnections = 1, IdleTimeout = TimeSpan.FromSeconds(2) }, stdout, stderr, ct));
        var endPoint = new IPEndPoint(IPAddress.Loopback, server.Port);
        await using RawClient first = await RawClient.ConnectAsync(endPoint);
        await first.SendAsync("x"u8.ToArray());
        Assert.Equal(1, await first.Socket.ReceiveAsync(new byte[1], SocketFlags.None));

        await using RawClient second = await RawClient.ConnectAsync(endPoint);
        Assert.True(await second.IsClosedByServerAsync(TimeSpan.FromSeconds(1)), "over --max-connections");
        Assert.True(await first.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "past --idle-timeout");
    }

    [Fact]
    public async Task AppServer_SendLimitBelowHighWater_UsageError()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var settings = new AppServerCommand.Settings("127.0.0.1", 0) { Flow = new FlowControl(null, 64 * 1024, 1024, null) };

        int code = await AppServerCommand.RunAsync(settings, stdout, stderr, CancellationToken.None);

        Assert.Equal((int)Framewire.Cli.ExitCode.Usage, code);
        Assert.Contains("--send-limit is 1024; it must be at least --send-high-water (65536).", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MulticonnServer_MinDataRate_ClosesAClientThatDoesNotRead()
    {
        // Echoed bytes pile up behind a client that never reads; past the 5 s grace it reads far below --min-data-rate.
        await using var server = await CommandServer.StartAsync((stdout, stderr, ct) => MulticonnServerCommand.RunAsync(
            new MulticonnServerCommand.Settings("127.0.0.1", 0) { Flow = new FlowControl(null, null, null, 1024 * 1024) }, stdout, stderr, ct));
        var endPoint = new IPEndPoint(IPAddress.Loopback, server.Port);
        await using RawClient hog = await RawClient.ConnectAsync(endPoint);
        hog.Socket.ReceiveBufferSize = 4096;

        byte[] chunk = new byte[64 * 1024];
        bool cut = false;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                await hog.Socket.SendAsync(chunk, SocketFlags.None, timeout.Token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            cut = !timeout.IsCancellationRequested;
        }

        Assert.True(cut, "the server cut the client that never reads");
    }

    [Fact]
    public void Parse_RepeatedTrustedProxy_KeepsEveryNetwork()
    {
        (System.CommandLine.Option[] options, Func<System.CommandLine.ParseResult, ServerSecurity> read) = ServerSecurity.CreateOptions();
        var command = new System.CommandLine.RootCommand();
        foreach (System.CommandLine.Option option in options)
        {
            command.Options.Add(option);
        }

        ServerSecurity security = read(command.Parse("--trusted-proxy 10.0.0.0/8 --trusted-proxy ::1/128"));

        Assert.Equal(["10.0.0.0/8", "::1/128"], security.TrustedProxies.Select(n => n.ToString()));
    }

    private static async Task<(int Code, string Stdout, string Stderr)> AppClientAsync(int port, string action, string value, ClientTls? tls = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await AppClientCommand.RunAsync("127.0.0.1", port, action, value, Timeout, false, tls ?? ClientTls.None, ChecksumAlgorithm.None, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
