using System.Net;
using System.Net.Sockets;
using System.Text;
using Framewire.Engines;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;
using LineProtocol;

namespace Framewire.Tests.Engines;

/// <summary>
/// A protocol other than the frame protocol, plugged in through the public <see cref="ConnectionApplication"/> (the
/// LineProtocol sample's <see cref="LineApplication"/>): answered in order over real sockets, and given the
/// engines' frame timeout, end-of-stream and graceful stop without code of its own for them. On every engine.
/// </summary>
public sealed class CustomApplicationTests
{
    [Theory]
    [OnEveryEngine]
    public async Task Lines_PipelinedAndSplit_AnsweredInOrder(ServerEngine engine)
    {
        await using MessageServer server = await StartAsync(engine);
        using Socket client = await ConnectAsync(server);

        await client.SendAsync("one\ntwo\nth"u8.ToArray(), SocketFlags.None);
        await Task.Delay(50);
        await client.SendAsync("ree\n"u8.ToArray(), SocketFlags.None);

        Assert.Equal("ONE\nTWO\nTHREE\n", await ReadAsync(client, 14));
    }

    [Theory]
    [OnEveryEngine]
    public async Task LineNotFinished_FrameTimeout_AnsweredByTheApplicationThenClosed(ServerEngine engine)
    {
        await using MessageServer server = await StartAsync(engine, o => o.FrameTimeout = TimeSpan.FromMilliseconds(300));
        using Socket client = await ConnectAsync(server);

        await client.SendAsync("no end in sight"u8.ToArray(), SocketFlags.None);

        Assert.Equal("ERR line not finished in time\n", await ReadToEndAsync(client));
    }

    [Theory]
    [OnEveryEngine]
    public async Task HalfCloseMidLine_AnsweredByTheApplicationThenClosed(ServerEngine engine)
    {
        await using MessageServer server = await StartAsync(engine);
        using Socket client = await ConnectAsync(server);

        await client.SendAsync("whole\nhalf"u8.ToArray(), SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("WHOLE\nERR incomplete line dropped\n", await ReadToEndAsync(client));
    }

    [Theory]
    [OnEveryEngine]
    public async Task LineTooLong_RefusedAndClosed_NeighbourServed(ServerEngine engine)
    {
        await using MessageServer server = await StartAsync(engine);
        using Socket neighbour = await ConnectAsync(server);
        using Socket offender = await ConnectAsync(server);

        await offender.SendAsync(Encoding.ASCII.GetBytes(new string('x', LineApplication.MaxLineLength + 1)), SocketFlags.None);

        Assert.Equal("ERR line too long\n", await ReadToEndAsync(offender));
        await neighbour.SendAsync("still here\n"u8.ToArray(), SocketFlags.None);
        Assert.Equal("STILL HERE\n", await ReadAsync(neighbour, 11));
    }

    [Theory]
    [OnEveryEngine]
    public async Task Stop_LineCutShort_AnsweredAndLiveViewEmpty(ServerEngine engine)
    {
        MessageServer server = await StartAsync(engine);
        using Socket client = await ConnectAsync(server);
        await client.SendAsync("done\nnot do"u8.ToArray(), SocketFlags.None);
        Assert.Equal("DONE\n", await ReadAsync(client, 5));
        await Eventually.TrueAsync(() => server.GetConnections() is [{ BytesReceived: 11 }]);

        await server.DisposeAsync();

        Assert.Equal("ERR incomplete line dropped\n", await ReadToEndAsync(client));
        Assert.Empty(server.GetConnections());
        Assert.Equal(0, server.ConnectionCount);
    }

    private static async Task<MessageServer> StartAsync(ServerEngine engine, Action<MessageServerOptions>? configure = null)
    {
        var options = new MessageServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Engine = engine, Loops = 2, ShutdownTimeout = TimeSpan.FromSeconds(5) };
        configure?.Invoke(options);
        var server = new MessageServer(_ => new LineApplication(), options);
        await server.StartAsync();
        return server;
    }

    private static async Task<Socket> ConnectAsync(MessageServer server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.LocalEndPoint!);
        return socket;
    }

    private static async Task<string> ReadAsync(Socket socket, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        byte[] buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.True(n > 0, $"closed after {Encoding.UTF8.GetString(buffer, 0, read)}");
            read += n;
        }

        return Encoding.UTF8.GetString(buffer);
    }

    /// <summary>Everything the server sends until it closes; a reset counts as the close.</summary>
    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        byte[] buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }
}
