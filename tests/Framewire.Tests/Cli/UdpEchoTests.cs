using System.Net;
using System.Net.Sockets;
using Framewire.Cli.Commands;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary><c>echo-server --udp</c> and <c>echo-client --udp</c>: datagram echo over loopback.</summary>
public class UdpEchoTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task EchoClient_AgainstUdpServerOnce_EchoesAndServerExits()
    {
        var serverOut = new LineWriter();
        Task<int> serverRun = UdpEchoServer.RunAsync("127.0.0.1", 0, once: true, verbose: true, serverOut, new StringWriter(), CancellationToken.None);
        int port = await serverOut.WaitForListeningPortAsync();
        var stdout = new StringWriter();

        int code = await UdpEchoClient.RunAsync("127.0.0.1", port, "Hello, world"u8.ToArray(), Timeout, stdout, new StringWriter(), CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Equal("Received b'Hello, world'", stdout.ToString().Trim());
        Assert.Equal(0, await serverRun.WaitAsync(Timeout));
        Assert.Contains("Echoed 12 byte(s) to 127.0.0.1:", serverOut.Text, StringComparison.Ordinal);
        Assert.Contains("Served 1 client(s), 12 byte(s) echoed", serverOut.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UdpServer_SeveralClientsOverIPv6_EachEchoedUntilCancelled()
    {
        using var stop = new CancellationTokenSource();
        var serverOut = new LineWriter();
        Task<int> serverRun = UdpEchoServer.RunAsync("::1", 0, once: false, verbose: false, serverOut, new StringWriter(), stop.Token);
        int port = await serverOut.WaitForListeningPortAsync();

        for (int i = 0; i < 3; i++)
        {
            var stdout = new StringWriter();
            Assert.Equal(0, await UdpEchoClient.RunAsync("::1", port, new byte[] { (byte)'a', 0, 0xff, (byte)('0' + i) }, Timeout, stdout, new StringWriter(), CancellationToken.None));
            Assert.Equal($"Received b'a\\x00\\xff{i}'", stdout.ToString().Trim());
        }

        await stop.CancelAsync();

        Assert.Equal(0, await serverRun.WaitAsync(Timeout));
        Assert.Contains("Served 3 client(s), 12 byte(s) echoed", serverOut.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EchoClient_NoUdpServer_FailsWithoutWaitingForTheTimeout()
    {
        int port;
        using (var vacant = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            vacant.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)vacant.LocalEndPoint!).Port;
        }

        var stderr = new StringWriter();
        Task<int> run = UdpEchoClient.RunAsync("127.0.0.1", port, "anyone?"u8.ToArray(), TimeSpan.FromSeconds(30), new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(1, await run.WaitAsync(Timeout));
        Assert.Contains("Error: 127.0.0.1:" + port, stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EchoServer_UdpOnUnixSocket_IsAUsageError()
    {
        var stderr = new StringWriter();

        int code = await UdpEchoServer.RunAsync("unix:/tmp/framewire-udp.sock", 0, false, false, new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Contains("--udp needs an IP address", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Processes_EchoServerAndClientWithUdpFlag_EchoAndServerStopsOnSigterm()
    {
        await using ChildProcess server = ChildProcess.StartFramewire("echo-server", "127.0.0.1", "0", "--udp");
        int port = await server.WaitForListeningPortAsync();

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.StartFramewire("echo-client", "127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--udp", "--message", "datagram"));
        server.Terminate();

        Assert.True(code == 0, stderr);
        Assert.Equal("Received b'datagram'", stdout.Trim());
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
        Assert.Contains("Served 1 client(s), 8 byte(s) echoed", server.Stdout.Text, StringComparison.Ordinal);
    }
}
