using Framewire.Client;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Samples;

/// <summary>samples/CustomHandler as a real process, configured through the environment as docs/library.md shows.</summary>
public class CustomHandlerSampleTests
{
    [Fact]
    public async Task CustomHandler_PortFromEnvironment_AnswersInUpperCaseAndStopsOnSigterm()
    {
        string dll = Path.Combine(RepoPaths.Root, "samples", "CustomHandler", "bin", RepoPaths.Configuration, "net10.0", "CustomHandler.dll");
        var environment = new Dictionary<string, string> { ["Framewire__Host"] = "127.0.0.1", ["Framewire__Port"] = "0" };
        await using ChildProcess sample = ChildProcess.Start("dotnet", [dll], environment);

        // The console logger indents the message under its "info: Framewire.Server[1]" line.
        string listening = await sample.Stdout.WaitForLineAsync(l => l.Contains("Listening on 127.0.0.1:", StringComparison.Ordinal));
        int port = int.Parse(listening[(listening.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        await using (MessageClient client = await MessageClient.ConnectAsync("127.0.0.1", port))
        {
            Response response = await client.SendAsync(ContentTypes.ClientBinary, ContentTypes.Binary, "shout: hello"u8.ToArray());
            Assert.Equal("SHOUT: HELLO"u8.ToArray(), response.Content.ToArray());
        }

        sample.Terminate();

        Assert.Equal(0, await sample.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }
}
