using System.Globalization;
using Framewire.Tests.Support;

namespace Framewire.Tests.Interop;

/// <summary>The application protocol both ways over IPv6 loopback, where the Python programs print addresses differently.</summary>
public class Ipv6InteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Ipv6LoopbackFact]
    public async Task PythonAppClient_AgainstOurAppServer()
    {
        await using ChildProcess server = ChildProcess.StartFramewire("app-server", "::1", "0");
        int port = await server.WaitForListeningPortAsync();

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartPython("app_client.py", "::1", port.ToString(CultureInfo.InvariantCulture), "search", "\U0001f436"), Timeout);

        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal("Got result: \U0001f43e Playing ball! \U0001f3d0", TutorialExchanges.ResultLine(stdout));
    }

    [Ipv6LoopbackFact]
    public async Task OurAppClient_AgainstPythonAppServer()
    {
        await using ChildProcess server = ChildProcess.StartPython("app_server.py", "::1", "0", "--max-seconds", "30");
        int port = await server.WaitForListeningPortAsync();

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("app-client", "::1", port.ToString(CultureInfo.InvariantCulture), "hello", "world"), Timeout);

        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal(["Got response: b'First 10 bytes of request: helloworld'"], TutorialExchanges.Lines(stdout));
        await server.Stdout.WaitForLineAsync(l => l.StartsWith("Received binary/custom-client-binary-type request from ('::1', ", StringComparison.Ordinal), Timeout);
    }
}
