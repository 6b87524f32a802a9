using System.Net;
using Framewire.Apps;
using Framewire.Client;
using Framewire.Engines;
using Framewire.Engines.Internal.Uring;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>
/// What only the uring engine has: the fallback to the selector engine where io_uring is refused, and its refusal of
/// TLS. Everything else it does is the conformance suite's.
/// </summary>
public sealed class UringEngineTests : IDisposable
{
    private readonly TestCertificates _certificates = TestCertificates.Create();

    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task Start_IoUringRefused_OneWarningLineThenServedByTheSelectorEngine()
    {
        await using ChildProcess server = ChildProcess.Start(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "framewire.dll"), "app-server", "127.0.0.1", "0", "--engine", "uring"],
            new Dictionary<string, string> { [UringSupport.DisableVariable] = "off" });
        int port = await server.WaitForListeningPortAsync();

        await using (MessageClient client = await MessageClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)))
        {
            Response response = await client.SearchAsync("morpheus");
            Assert.Equal("Follow the white rabbit. \U0001f430", response.GetResultText());
        }

        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        string warning = Assert.Single(server.Stderr.Split('\n'), line => line.Contains("uring", StringComparison.Ordinal));
        Assert.Contains("The uring engine cannot run here: io_uring is switched off (FRAMEWIRE_IO_URING=off); running on the selector engine", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithTls_RefusedWithTheEnginesThatServeIt()
    {
        var options = new MessageServerOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Engine = ServerEngine.Uring,
            Tls = TlsServerOptions.FromPemFiles(_certificates.ServerCertPath, _certificates.ServerKeyPath),
        };

        var error = Assert.Throws<InvalidOperationException>(() => new MessageServer(new SearchHandler(), options));

        Assert.Equal("The uring engine does not run TLS; use the selector or the async engine for a TLS server.", error.Message);
    }
}
