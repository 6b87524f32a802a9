using Framewire.Client;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary>The built framewire command as a real process: signals, exit codes, usage errors.</summary>
public class ProcessTests
{
    [Fact]
    public async Task AppServer_Sigterm_StopsGracefullyAndExitsZero()
    {
        await using ChildProcess server = ChildProcess.StartFramewire("app-server", "127.0.0.1", "0");
        int port = await server.WaitForListeningPortAsync();
        await using (MessageClient client = await MessageClient.ConnectAsync("127.0.0.1", port))
        {
            Assert.Equal("Follow the white rabbit. \U0001f430", (await client.SearchAsync("morpheus")).GetResultText());
        }

        server.Terminate();

        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("Stopped after serving 1 connection(s)", server.Stdout.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MulticonnServer_Sigint_ExitsZero()
    {
        await using ChildProcess server = ChildProcess.StartFramewire("multiconn-server", "127.0.0.1", "0");
        await server.WaitForListeningPortAsync();

        server.Interrupt();

        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    /// <summary>
    /// On the async engine the server process runs socket completions inline, which the runtime does on one socket
    /// engine thread per processor; by default it has one such thread per 30 processors (x64), so on a machine of
    /// two or more processors the thread count tells the two apart. The environment's own setting wins.
    /// </summary>
    [Theory]
    [InlineData(null, true)]
    [InlineData("0", false)]
    public async Task MulticonnServer_AsyncEngine_RunsSocketCompletionsInlineUnlessTheEnvironmentSaysNot(string? setting, bool inline)
    {
        var environment = new Dictionary<string, string>();
        if (setting is not null)
        {
            environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = setting;
        }

        await using ChildProcess server = ChildProcess.Start(
            "dotnet", [Path.Combine(AppContext.BaseDirectory, "framewire.dll"), "multiconn-server", "127.0.0.1", "0", "--engine", "async"], environment);
        int port = await server.WaitForListeningPortAsync();
        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", port);
            System.Net.Sockets.NetworkStream stream = client.GetStream();
            await stream.WriteAsync("ping"u8.ToArray());
            byte[] echoed = new byte[4];
            await stream.ReadExactlyAsync(echoed);
            Assert.Equal("ping"u8.ToArray(), echoed);
        }

        int expected = inline ? Environment.ProcessorCount : Math.Max(1, (int)Math.Round(Environment.ProcessorCount / 30.0));
        Assert.Equal(expected, SocketEngineThreads(server.Id));
    }

    [Theory]
    [InlineData("app-client", "127.0.0.1")]
    [InlineData("app-client", "127.0.0.1", "notaport", "search", "x")]
    [InlineData("app-server", "127.0.0.1", "70000")]
    [InlineData("app-server", "--max-header-length", "lots")]
    [InlineData("multiconn-client", "127.0.0.1", "65432", "0")]
    [InlineData("echo-server", "--no-such-option")]
    [InlineData("no-such-command")]
    [InlineData("bench", "nonsense")]
    [InlineData("bench", "echo", "--duration", "soon")]
    [InlineData("bench", "oneshot", "--depth", "4")]
    public async Task BadArguments_PrintOneErrorLineAndExitTwo(params string[] args)
    {
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(ChildProcess.StartFramewire(args));

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Error: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Framewire.", line, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ListsTheTutorialsProgramsWithTheirArguments()
    {
        (int code, string stdout, _) = await ChildProcess.RunAsync(ChildProcess.StartFramewire("--help"));

        Assert.Equal(0, code);
        foreach (string command in new[] { "echo-server [host] [port]", "echo-client [host] [port]", "multiconn-server [host] [port]",
            "multiconn-client [host] [port] [num_connections]", "app-server [host] [port]", "app-client <host> <port> <action> <value>", "bench <echo|frame|oneshot>", "status" })
        {
            Assert.Contains("  " + command, stdout, StringComparison.Ordinal);
        }
    }

    private static int SocketEngineThreads(int pid)
    {
        int count = 0;
        foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == ".NET Sockets")
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The thread ended while we looked.
            }
        }

        return count;
    }
}
