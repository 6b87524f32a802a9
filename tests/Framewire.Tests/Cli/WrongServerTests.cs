using System.Net;
using System.Net.Sockets;
using Framewire.Cli.Clients;
using Framewire.Cli.Commands;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary>Each client against a server of the wrong kind: it says what answered instead, and exits 1.</summary>
public class WrongServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task EchoClient_AgainstAppServer_NamesTheFramedAnswer()
    {
        await using CommandServer server = await AppServerAsync();
        var stderr = new StringWriter();

        int code = await EchoClientCommand.RunAsync("127.0.0.1", server.Port, "Hello, world", Timeout, new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Equal("Error: " + Echoes.FramedAnswer, stderr.ToString().Trim());
    }

    [Fact]
    public async Task EchoClient_AnswerThatIsNotTheEcho_NotAnEcho()
    {
        using Socket listener = Listeners.Listen();
        Task serving = AnswerOnceAsync(listener, "Hello, WORLD"u8.ToArray());
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = await EchoClientCommand.RunAsync("127.0.0.1", Listeners.PortOf(listener), "Hello, world", Timeout, stdout, stderr, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Equal("Received b'Hello, WORLD'", stdout.ToString().Trim());
        Assert.Equal("Error: the answer is not an echo of what was sent (is this an echo server?)", stderr.ToString().Trim());
        await serving.WaitAsync(Timeout);
    }

    [Fact]
    public async Task EchoClient_ServerClosesEarly_SaysHowMuchCameBack()
    {
        using Socket listener = Listeners.Listen();
        Task serving = AnswerOnceAsync(listener, "Hello"u8.ToArray());
        var stderr = new StringWriter();

        int code = await EchoClientCommand.RunAsync("127.0.0.1", Listeners.PortOf(listener), "Hello, world", Timeout, new StringWriter(), stderr, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Equal("Error: the server closed the connection after 5 of 12 byte(s)", stderr.ToString().Trim());
        await serving.WaitAsync(Timeout);
    }

    [Fact]
    public async Task MulticonnClient_AgainstAppServer_NamesTheFramedAnswerAndCountsNothingEchoed()
    {
        await using CommandServer server = await AppServerAsync();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = await MulticonnClientCommand.RunAsync(
            "127.0.0.1", server.Port, 2, ["Message 1 from client.", "Message 2 from client."], Timeout, false, stdout, stderr, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Equal("0 of 2 connection(s) complete: 0 of 88 byte(s) echoed", stdout.ToString().Trim());
        Assert.Equal(
            [$"Error: connection 1: {Echoes.FramedAnswer}", $"Error: connection 2: {Echoes.FramedAnswer}"],
            stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task MulticonnClient_EchoThatGoesWrongHalfWay_CountsOnlyTheEchoedBytes()
    {
        using Socket listener = Listeners.Listen();
        Task serving = AnswerOnceAsync(listener, "pingPONG"u8.ToArray(), receive: 8);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = await MulticonnClientCommand.RunAsync("127.0.0.1", Listeners.PortOf(listener), 1, ["pingping"], Timeout, false, stdout, stderr, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Equal("0 of 1 connection(s) complete: 4 of 8 byte(s) echoed", stdout.ToString().Trim());
        Assert.Equal($"Error: connection 1: {Echoes.NotAnEcho}", stderr.ToString().Trim());
        await serving.WaitAsync(Timeout);
    }

    [Fact]
    public async Task AppClient_AgainstMulticonnServer_NamesTheEchoedRequest()
    {
        await using CommandServer server = await CommandServer.StartAsync((stdout, stderr, ct) =>
            MulticonnServerCommand.RunAsync(new MulticonnServerCommand.Settings("127.0.0.1", 0), stdout, stderr, ct));

        (int code, string stdout, string stderr) = await AppClientAsync(server.Port);

        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Equal("Error: the answer is an echo of the request, not an answer to it (is this an echo server? echo-client and multiconn-client talk to it)", stderr.Trim());
    }

    [Fact]
    public async Task AppClient_AgainstEchoServer_NamesTheEchoedRequest()
    {
        await using CommandServer server = await CommandServer.StartAsync((stdout, stderr, ct) => EchoServerCommand.RunAsync("127.0.0.1", 0, false, false, stdout, stderr, ct));

        (int code, _, string stderr) = await AppClientAsync(server.Port);

        Assert.Equal(1, code);
        Assert.Equal("Error: " + Echoes.EchoedRequest, stderr.Trim());
    }

    [Fact]
    public async Task Clients_AgainstTheirOwnServers_PrintWhatTheyAlwaysPrinted()
    {
        await using CommandServer app = await AppServerAsync();
        await using CommandServer echo = await CommandServer.StartAsync((stdout, stderr, ct) =>
            MulticonnServerCommand.RunAsync(new MulticonnServerCommand.Settings("127.0.0.1", 0), stdout, stderr, ct));
        var echoOut = new StringWriter();
        var multiconnOut = new StringWriter();

        Assert.Equal((0, "Got result: Follow the white rabbit. \U0001f430\n", string.Empty), await AppClientAsync(app.Port));
        Assert.Equal(0, await EchoClientCommand.RunAsync("127.0.0.1", echo.Port, "Hello, world", Timeout, echoOut, new StringWriter(), CancellationToken.None));
        Assert.Equal("Received b'Hello, world'\n", echoOut.ToString());
        Assert.Equal(0, await MulticonnClientCommand.RunAsync(
            "127.0.0.1", echo.Port, 2, ["Message 1 from client.", "Message 2 from client."], Timeout, false, multiconnOut, new StringWriter(), CancellationToken.None));
        Assert.Equal("2 of 2 connection(s) complete: 88 of 88 byte(s) echoed\n", multiconnOut.ToString());
    }

    private static Task<CommandServer> AppServerAsync() =>
        CommandServer.StartAsync((stdout, stderr, ct) => AppServerCommand.RunAsync(new AppServerCommand.Settings("127.0.0.1", 0), stdout, stderr, ct));

    private static async Task<(int Code, string Stdout, string Stderr)> AppClientAsync(int port)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await AppClientCommand.RunAsync("127.0.0.1", port, "search", "morpheus", Timeout, false, ClientTls.None, ChecksumAlgorithm.None, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Accepts one client, reads what it sends, answers <paramref name="answer"/> and closes.</summary>
    private static async Task AnswerOnceAsync(Socket listener, byte[] answer, int receive = 1)
    {
        using Socket client = await listener.AcceptAsync();
        byte[] buffer = new byte[4096];
        for (int received = 0; received < receive;)
        {
            received += await client.ReceiveAsync(buffer, SocketFlags.None);
        }

        await client.SendAsync(answer, SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);
    }
}
