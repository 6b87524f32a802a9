using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Framewire.Engines;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>
/// Accepting: a burst of connections far beyond one accept per readiness is taken in and answered, and the listen
/// backlog is what the options say, capped by the system's <c>net.core.somaxconn</c> with a warning.
/// </summary>
public sealed class AcceptTests
{
    private static readonly int? s_somaxconn = ReadSomaxconn();

    [Theory]
    [OnEveryEngine]
    public async Task Accept_TwoThousandConnectsAtOnce_EveryOneAnswered(ServerEngine engine)
    {
        const int Connections = 2000;
        await using RunningServer server = await RunningServer.StartEchoAsync(options => options.Loops = 1, engine);
        var clients = new Socket[Connections];
        try
        {
            // Every connect is started before any is answered: the listener sees the whole burst queued at once.
            await Task.WhenAll(Enumerable.Range(0, Connections).Select(async i =>
            {
                clients[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await clients[i].ConnectAsync(server.EndPoint);
            })).WaitAsync(TimeSpan.FromSeconds(30));

            await Task.WhenAll(clients.Select(async (client, i) =>
            {
                byte[] sent = BitConverter.GetBytes(i);
                await client.SendAsync(sent, SocketFlags.None);
                byte[] echoed = new byte[sent.Length];
                int got = 0;
                while (got < echoed.Length)
                {
                    int n = await client.ReceiveAsync(echoed.AsMemory(got), SocketFlags.None);
                    Assert.True(n > 0, $"connection {i} closed before its echo");
                    got += n;
                }

                Assert.Equal(sent, echoed);
            })).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(Connections, server.Server.ConnectionCount);
        }
        finally
        {
            foreach (Socket? client in clients)
            {
                client?.Dispose();
            }
        }
    }

    [Theory]
    [OnEveryEngine]
    public async Task Listen_Backlog_IsWhatTheKernelQueues(ServerEngine engine)
    {
        int somaxconn = s_somaxconn ?? int.MaxValue;
        const int Configured = 1000;
        await using RunningServer configured = await RunningServer.StartEchoAsync(options => options.Backlog = Configured, engine);
        await using RunningServer byDefault = await RunningServer.StartEchoAsync(engine: engine);

        Assert.Equal(Math.Min(Configured, somaxconn), ListenQueueOf(configured.Port));
        Assert.Equal(Math.Min(4096, somaxconn), ListenQueueOf(byDefault.Port));
    }

    [Fact]
    public async Task MulticonnServer_BacklogAboveSomaxconn_OneWarning()
    {
        await using ChildProcess server = ChildProcess.StartFramewire("multiconn-server", "127.0.0.1", "0", "--engine", "selector", "--loops", "2", "--backlog", "65535");
        await server.WaitForListeningPortAsync();

        string output = server.Stdout.Text + server.Stderr;
        const string Warning = "Listen backlog 65535 is above the system's net.core.somaxconn";
        Assert.Equal(s_somaxconn < 65535 ? 1 : 0, CountOf(output, Warning));
        if (s_somaxconn < 65535)
        {
            Assert.Contains($"({s_somaxconn})", output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(4096, 4096, 4096, false)]
    [InlineData(8192, 4096, 4096, true)]
    [InlineData(512, 4096, 512, false)]
    [InlineData(8192, null, 8192, false)]
    [InlineData(8192, 0, 8192, false)]
    public void Clamp_RequestedAndSystemLimit_TheSmallerAndWhetherCut(int requested, int? limit, int expected, bool clamped)
    {
        int backlog = Framewire.Engines.Internal.Listeners.Clamp(requested, limit, out bool cut);

        Assert.Equal((expected, clamped), (backlog, cut));
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>
    /// A listening socket's backlog as the kernel holds it: <c>ss</c> (iproute2, which CI installs) shows it as the
    /// listener's Send-Q.
    /// </summary>
    private static int ListenQueueOf(int port)
    {
        using var ss = Process.Start(new ProcessStartInfo("ss", ["-Hltn", $"sport = :{port}"]) { RedirectStandardOutput = true })!;
        string output = ss.StandardOutput.ReadToEnd();
        ss.WaitForExit();

        // "LISTEN 0 1000 127.0.0.1:port 0.0.0.0:*": one line per listening socket (one per selector loop).
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        int[] queues = [.. lines.Select(line => int.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture))];
        Assert.All(queues, queue => Assert.Equal(queues[0], queue));
        return queues[0];
    }

    private static int? ReadSomaxconn() =>
        File.Exists("/proc/sys/net/core/somaxconn") && int.TryParse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim(), CultureInfo.InvariantCulture, out int limit) ? limit : null;
}
