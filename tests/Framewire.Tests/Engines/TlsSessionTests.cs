using System.Net.Security;
using System.Security.Authentication;
using Framewire.Engines;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>
/// What a TLS session with the server is, on every engine: TLS 1.2 as well as 1.3, no application protocol chosen
/// however the client offers one, and renegotiation refused (openssl s_client asks for it, which SslStream cannot).
/// </summary>
public sealed class TlsSessionTests : IDisposable
{
    private const string Search = "{\"action\": \"search\", \"value\": \"morpheus\"}";
    private readonly TestCertificates _certificates = TestCertificates.Create();

    public void Dispose() => _certificates.Dispose();

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task Tls12Client_Answered(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine);
        await using RawClient client = await RawClient.ConnectTlsAsync(server.EndPoint, _certificates.CaPath,
            configure: o => o.EnabledSslProtocols = SslProtocols.Tls12);

        await client.SendAsync(Frames.Json(Search));

        Assert.Contains("white rabbit", await client.ReadJsonAsync(), StringComparison.Ordinal);
        Assert.Equal(SslProtocols.Tls12, client.Tls!.SslProtocol);
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task ClientOffersAlpn_NoneChosen_Answered(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine);
        await using RawClient client = await RawClient.ConnectTlsAsync(server.EndPoint, _certificates.CaPath,
            configure: o => o.ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11]);

        await client.SendAsync(Frames.Json(Search));

        Assert.Contains("white rabbit", await client.ReadJsonAsync(), StringComparison.Ordinal);
        Assert.Equal(default, client.Tls!.NegotiatedApplicationProtocol);
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task Renegotiation_Refused_NeighbourServed(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine);

        // "R" on its own line makes s_client renegotiate; it fails when the server refuses (or drops the connection),
        // and ends cleanly, when its input ends, once the server agreed.
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(ChildProcess.Start("sh",
            ["-c", $"(printf 'R\\n'; sleep 2) | openssl s_client -connect 127.0.0.1:{server.Port} -tls1_2 -CAfile '{_certificates.CaPath}'"]));

        string output = stdout + stderr;
        Assert.Contains("RENEGOTIATING", output, StringComparison.Ordinal);
        Assert.True(code != 0, "s_client renegotiated: " + output);
        await using RawClient neighbour = await RawClient.ConnectTlsAsync(server.EndPoint, _certificates.CaPath);
        await neighbour.SendAsync(Frames.Json(Search));
        Assert.Contains("white rabbit", await neighbour.ReadJsonAsync(), StringComparison.Ordinal);
    }

    private Task<RunningServer> StartAsync(ServerEngine engine) =>
        RunningServer.StartAsync(engine: engine, configure: options =>
            options.Tls = TlsServerOptions.FromPemFiles(_certificates.ServerCertPath, _certificates.ServerKeyPath));
}
