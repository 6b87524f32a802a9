using System.Globalization;
using Framewire.Tests.Support;

namespace Framewire.Tests.Interop;

/// <summary>The Python clients in tests/interop against our servers, the framewire command as real processes.</summary>
public class PythonClientsTests(FramewireServers servers) : IClassFixture<FramewireServers>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Theory]
    [MemberData(nameof(TutorialExchanges.App), MemberType = typeof(TutorialExchanges))]
    public async Task AppClient_AgainstOurAppServer_PrintsThePythonResult(string action, string value, string expected)
    {
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartPython("app_client.py", "127.0.0.1", Port(servers.AppPort), action, value), Timeout);

        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal(expected, TutorialExchanges.ResultLine(stdout));
    }

    [Theory]
    [InlineData("crc32c", "sha256")]
    [InlineData("sha256", "crc32c")]
    public async Task AppClient_WithChecksum_AgainstOurAppServerWithChecksum_BothSidesVerify(string clientChecksum, string serverChecksum)
    {
        await using ChildProcess server = ChildProcess.StartFramewire("app-server", "127.0.0.1", "0", "--checksum", serverChecksum);
        int port = await server.WaitForListeningPortAsync();

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartPython("app_client.py", "127.0.0.1", Port(port), "search", "ring", "--checksum", clientChecksum), Timeout);

        // The Python client verified our answer's checksum (it exits 1 on a mismatch); our server verified its request's.
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal("Got result: In the caves beneath the Misty Mountains. 💍", TutorialExchanges.ResultLine(stdout));
        Assert.Contains($"\"content-checksum\": \"{clientChecksum}:", stdout, StringComparison.Ordinal);
        Assert.Contains($"Verified content-checksum {serverChecksum}:", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppClient_CorruptChecksum_AgainstOurAppServer_GetsChecksumMismatch()
    {
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartPython("app_client.py", "127.0.0.1", Port(servers.AppPort), "search", "ring", "--checksum", "crc32c:00000000"), Timeout);

        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Contains("'code': 'checksum_mismatch'", stdout, StringComparison.Ordinal);
        Assert.Equal(
            "Got result: Error: The content does not match its content-checksum: the header says crc32c:00000000, the content's is crc32c:f4091042.",
            TutorialExchanges.ResultLine(stdout));
    }

    [Fact]
    public async Task MulticonnClient_AgainstOurMulticonnServer_GetsEveryByteBack()
    {
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartPython("multiconn_client.py", "127.0.0.1", Port(servers.MulticonnPort), "3"), Timeout);

        // The Python client exits 0 only when each connection got back exactly the bytes it sent.
        Assert.True(code == 0, $"exit {code}: {stderr}");
        string[] lines = TutorialExchanges.Lines(stdout);
        for (int id = 1; id <= 3; id++)
        {
            Assert.Contains($"Starting connection {id} to ('127.0.0.1', {servers.MulticonnPort})", lines);
            Assert.All(TutorialExchanges.MulticonnLines(id), line => Assert.Contains(line, lines));
        }
    }

    [Theory]
    [MemberData(nameof(TutorialExchanges.Echo), MemberType = typeof(TutorialExchanges))]
    public async Task EchoClient_AgainstOurEchoServer_PrintsTheEcho(string message, string expected)
    {
        // --once: like the Python echo server, ours exits 0 after its one client.
        await using ChildProcess server = ChildProcess.StartFramewire("echo-server", "127.0.0.1", "0", "--once");
        int port = await server.WaitForListeningPortAsync();

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartPython("echo_client.py", "127.0.0.1", Port(port), message), Timeout);

        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal([expected], TutorialExchanges.Lines(stdout));
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
        Assert.Contains("Served 1 client(s)", server.Stdout.Text, StringComparison.Ordinal);
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
