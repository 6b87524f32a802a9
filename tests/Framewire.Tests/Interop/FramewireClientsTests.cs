using System.Globalization;
using Framewire.Tests.Support;

namespace Framewire.Tests.Interop;

/// <summary>Our clients, the framewire command as real processes, against the Python servers in tests/interop.</summary>
public class FramewireClientsTests(PythonServers servers) : IClassFixture<PythonServers>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Theory]
    [MemberData(nameof(TutorialExchanges.App), MemberType = typeof(TutorialExchanges))]
    public async Task AppClient_AgainstPythonAppServer_PrintsWhatThePythonClientPrints(string action, string value, string expected)
    {
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("app-client", "127.0.0.1", Port(servers.AppPort), action, value), Timeout);

        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal([expected], TutorialExchanges.Lines(stdout));
    }

    [Fact]
    public async Task AppClient_EmojiKey_ReachesThePythonServerAsTheSameString()
    {
        (int code, _, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("app-client", "127.0.0.1", Port(servers.AppPort), "search", "\U0001f436"), Timeout);

        Assert.True(code == 0, $"exit {code}: {stderr}");
        await servers.App.Stdout.WaitForLineAsync(
            l => l.StartsWith("Received request {'action': 'search', 'value': '\U0001f436'} from ('127.0.0.1', ", StringComparison.Ordinal),
            Timeout);
    }

    [Theory]
    [InlineData("crc32c", "sha256")]
    [InlineData("sha256", "crc32c")]
    public async Task AppClient_WithChecksum_AgainstPythonAppServerWithChecksum_BothSidesVerify(string clientChecksum, string serverChecksum)
    {
        await using ChildProcess server = ChildProcess.StartPython("app_server.py", "127.0.0.1", "0", "--max-seconds", "30", "--checksum", serverChecksum);
        int port = await server.WaitForListeningPortAsync();

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("app-client", "127.0.0.1", Port(port), "search", "ring", "--checksum", clientChecksum), Timeout);

        // The Python server answers a request whose checksum fails with an error frame, which makes our client exit 1.
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal(["Got result: In the caves beneath the Misty Mountains. 💍"], TutorialExchanges.Lines(stdout));
        await server.Stdout.WaitForLineAsync(
            l => l.StartsWith($"Sending b'\\x00", StringComparison.Ordinal) && l.Contains($"\"content-checksum\": \"{serverChecksum}:", StringComparison.Ordinal),
            Timeout);
    }

    [Fact]
    public async Task AppClient_AgainstPythonServerWithCorruptAnswers_SaysTheChecksumFailed()
    {
        // The Python server's answer claims the checksum of other content when it is given a literal value.
        await using ChildProcess server = ChildProcess.StartPython("app_server.py", "127.0.0.1", "0", "--max-seconds", "30", "--checksum", "crc32c:00000000");
        int port = await server.WaitForListeningPortAsync();

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("app-client", "127.0.0.1", Port(port), "search", "ring"), Timeout);

        Assert.Equal(1, code);
        Assert.Empty(TutorialExchanges.Lines(stdout));
        Assert.Contains("failed its checksum: checksum_mismatch: The content does not match its content-checksum: the header says crc32c:00000000", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MulticonnClient_AgainstPythonMulticonnServer_GetsEveryByteBack()
    {
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("multiconn-client", "127.0.0.1", Port(servers.MulticonnPort), "3", "--verbose"), Timeout);

        Assert.True(code == 0, $"exit {code}: {stderr}");
        string[] lines = TutorialExchanges.Lines(stdout);
        for (int id = 1; id <= 3; id++)
        {
            Assert.All(TutorialExchanges.MulticonnLines(id), line => Assert.Contains(line, lines));
        }

        Assert.Contains("3 of 3 connection(s) complete: 132 of 132 byte(s) echoed", lines);
    }

    [Theory]
    [MemberData(nameof(TutorialExchanges.Echo), MemberType = typeof(TutorialExchanges))]
    public async Task EchoClient_AgainstPythonEchoServer_PrintsTheEcho(string message, string expected)
    {
        await using ChildProcess server = ChildProcess.StartPython("echo_server.py", "127.0.0.1", "0", "--max-seconds", "30");
        int port = await server.WaitForListeningPortAsync();

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("echo-client", "127.0.0.1", Port(port), "--message", message), Timeout);

        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal([expected], TutorialExchanges.Lines(stdout));

        // The Python echo server exits 0 once its one client has closed: ours closed cleanly.
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
        Assert.Contains("Connected by ('127.0.0.1', ", server.Stdout.Text, StringComparison.Ordinal);
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
