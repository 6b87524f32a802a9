using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Framewire.Client;
using Framewire.Engines;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

public sealed class TlsTests : IDisposable
{
    private readonly TestCertificates _certificates = TestCertificates.Create();

    public void Dispose() => _certificates.Dispose();

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task Search_OverTls_Answered(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, mutual: false);
        await using MessageClient client = await MessageClient.ConnectAsync("localhost", server.Port, ClientOptions(withCertificate: false));

        Response response = await client.SearchAsync("morpheus");

        Assert.Equal("Follow the white rabbit. \U0001f430", response.GetResultText());
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task Connect_ServerCertificateFromAnotherCa_Refused(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, mutual: false);
        var options = new MessageClientOptions { Tls = TlsClientOptions.FromPemFiles(_certificates.OtherClientCertPath) };

        await Assert.ThrowsAsync<AuthenticationException>(() => MessageClient.ConnectAsync("localhost", server.Port, options));
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task PlainClient_OnTlsPort_ClosedAndOthersStillServed(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, mutual: false);
        await using (RawClient plain = await RawClient.ConnectAsync(server.EndPoint))
        {
            await plain.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"morpheus\"}"));
            Assert.True(await plain.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
        }

        await using MessageClient client = await MessageClient.ConnectAsync("localhost", server.Port, ClientOptions(withCertificate: false));
        Assert.Equal("Follow the white rabbit. \U0001f430", (await client.SearchAsync("morpheus")).GetResultText());
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task MutualTls_ClientWithCertificate_Answered(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, mutual: true);
        await using MessageClient client = await MessageClient.ConnectAsync("localhost", server.Port, ClientOptions(withCertificate: true));

        Assert.Equal("Follow the white rabbit. \U0001f430", (await client.SearchAsync("morpheus")).GetResultText());
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task MutualTls_ClientWithoutCertificate_Refused(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, mutual: true);

        await AssertRefusedAsync(server, ClientOptions(withCertificate: false));
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task MutualTls_ClientCertificateFromAnotherCa_Refused(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, mutual: true);
        var options = new MessageClientOptions
        {
            Tls = TlsClientOptions.FromPemFiles(_certificates.CaPath, _certificates.OtherClientCertPath, _certificates.OtherClientKeyPath),
            RequestTimeout = TimeSpan.FromSeconds(5),
        };

        await AssertRefusedAsync(server, options);
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task Handshake_ClientSendsNothing_ClosedAfterTimeout(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, mutual: false, options => options.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        await using RawClient silent = await RawClient.ConnectAsync(server.EndPoint);

        Assert.True(await silent.StaysOpenAsync(TimeSpan.FromMilliseconds(100)));
        Assert.True(await silent.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));

        // The server forgets the connection just after closing it.
        for (int i = 0; i < 100 && server.Server.ConnectionCount > 0; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, server.Server.ConnectionCount);
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task LiveView_TlsConnection_ShowsStateFramesAndPlaintextBytes(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, mutual: false);
        await using RawClient client = await RawClient.ConnectTlsAsync(server.EndPoint, _certificates.CaPath);
        byte[] request = Frames.Json("{\"action\": \"search\", \"value\": \"morpheus\"}");

        await client.SendAsync(request);
        (_, byte[] answer) = await client.ReadFrameAsync();

        // Bytes are the application's, before encryption and after decryption, as on a plain socket.
        await Eventually.TrueAsync(() => server.Server.GetConnections() is [{ State: ConnectionState.Idle, FramesReceived: 1, FramesSent: 1 } c]
            && c.BytesReceived == request.Length && c.BytesSent > answer.Length);
        ServerStatistics statistics = server.Server.GetStatistics();
        Assert.Equal(1, statistics.FramesReceived);
        Assert.Equal(request.Length, statistics.BytesReceived);
    }

    [Fact]
    public void FromPemFiles_KeyOfAnotherCertificate_Throws()
    {
        Assert.ThrowsAny<ArgumentException>(
            () => TlsServerOptions.FromPemFiles(_certificates.ServerCertPath, _certificates.ClientKeyPath));
    }

    private static async Task AssertRefusedAsync(RunningServer server, MessageClientOptions options)
    {
        // With TLS 1.3 the client's handshake completes before the server has checked its certificate, so the
        // refusal shows either at connect or as the connection closing on the first request.
        Exception? e = await Record.ExceptionAsync(async () =>
        {
            await using MessageClient client = await MessageClient.ConnectAsync("localhost", server.Port, options);
            await client.SearchAsync("morpheus");
        });

        Assert.True(e is AuthenticationException or IOException, e?.ToString() ?? "the request was answered");
    }

    private Task<RunningServer> StartAsync(ServerEngine engine, bool mutual, Action<MessageServerOptions>? configure = null) =>
        RunningServer.StartAsync(engine: engine, configure: options =>
        {
            options.Tls = TlsServerOptions.FromPemFiles(_certificates.ServerCertPath, _certificates.ServerKeyPath, mutual ? _certificates.CaPath : null);
            configure?.Invoke(options);
        });

    private MessageClientOptions ClientOptions(bool withCertificate) => new()
    {
        Tls = withCertificate
            ? TlsClientOptions.FromPemFiles(_certificates.CaPath, _certificates.ClientCertPath, _certificates.ClientKeyPath)
            : TlsClientOptions.FromPemFiles(_certificates.CaPath),
        RequestTimeout = TimeSpan.FromSeconds(5),
    };
}
