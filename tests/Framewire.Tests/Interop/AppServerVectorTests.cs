using System.Net;
using System.Net.Sockets;
using Framewire.Tests.Support;

namespace Framewire.Tests.Interop;

/// <summary>
/// Our app-server command answers every request of tests/vectors/frames.json with exactly the bytes the Python
/// app-server answers it with, over a real loopback connection.
/// </summary>
public class AppServerVectorTests(FramewireServers servers) : IClassFixture<FramewireServers>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static TheoryData<string> AllVectors => FrameVectors.Names(FrameVectors.Vectors.Select(v => v.Name));

    [Theory]
    [MemberData(nameof(AllVectors))]
    public async Task Request_IsAnsweredWithThePythonServersBytes(string name)
    {
        FrameVectors.Vector vector = FrameVectors.Get(name);

        byte[] answer = await ExchangeAsync(vector.RequestFrame);

        Assert.Equal(Convert.ToHexStringLower(vector.ResponseFrame), Convert.ToHexStringLower(answer));
    }

    [Fact]
    public async Task AllRequestsPipelinedOnOneConnection_AreAnsweredInOrder()
    {
        byte[] requests = [.. FrameVectors.Vectors.SelectMany(v => v.RequestFrame)];
        byte[] expected = [.. FrameVectors.Vectors.SelectMany(v => v.ResponseFrame)];

        byte[] answers = await ExchangeAsync(requests);

        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(answers));
    }

    // Sends the bytes and half-closes: the server answers every whole frame, then closes, so everything it
    // sent is what arrives before the end of the stream, with nothing extra.
    private async Task<byte[]> ExchangeAsync(byte[] request)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, servers.AppPort), cts.Token);
        await socket.SendAsync(request, SocketFlags.None, cts.Token);
        socket.Shutdown(SocketShutdown.Send);

        using var received = new MemoryStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        return received.ToArray();
    }
}
