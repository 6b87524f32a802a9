using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Proxy;

/// <summary>PROXY headers from trusted and untrusted peers, over real loopback sockets, on every engine.</summary>
public sealed class ProxyProtocolServerTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("192.0.2.10"), 56324);
    private static readonly IPEndPoint Destination = new(IPAddress.Parse("198.51.100.1"), 443);
    private static readonly byte[] Request = Frames.Binary("who"u8);

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_V2Header_HandlerSeesClientAddress(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync([.. ProxyHeaders.V2Inet(Client, Destination), .. Request]);

        Assert.Equal("192.0.2.10:56324 -> 198.51.100.1:443", await ReadAddressesAsync(proxy));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_V1HeaderSplitFromRequest_HandlerSeesClientAddress(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "10.0.0.0/8", "127.0.0.1/32");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);
        byte[] header = ProxyHeaders.V1("PROXY TCP6 2001:db8::10 2001:db8::1 1000 2000\r\n");

        await proxy.SendAsync(header[..9]);
        await Task.Delay(50);
        await proxy.SendAsync([.. header[9..], .. Request[..3]]);
        await Task.Delay(50);
        await proxy.SendAsync(Request[3..]);

        Assert.Equal("[2001:db8::10]:1000 -> [2001:db8::1]:2000", await ReadAddressesAsync(proxy));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_V1Tcp4InOneWrite_HandlerSeesClientAddress(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync([.. ProxyHeaders.V1("PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n"), .. Request]);

        Assert.Equal("192.0.2.10:56324 -> 198.51.100.1:443", await ReadAddressesAsync(proxy));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_V2Ipv6_HandlerSeesClientAddress(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);
        var source = new IPEndPoint(IPAddress.Parse("2001:db8::10"), 1000);
        var destination = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 2000);

        await proxy.SendAsync([.. ProxyHeaders.V2Inet(source, destination), .. Request]);

        Assert.Equal("[2001:db8::10]:1000 -> [2001:db8::1]:2000", await ReadAddressesAsync(proxy));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_HeaderAndRequestByteAtATime_HandlerSeesClientAddress(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);
        proxy.Socket.NoDelay = true;
        byte[] bytes = [.. ProxyHeaders.V2Inet(Client, Destination, tlvs: [0x04, 0x00, 0x02, 0xAB, 0xCD]), .. Request];

        foreach (byte b in bytes)
        {
            await proxy.SendAsync([b]);
            await Task.Delay(2);
        }

        Assert.Equal("192.0.2.10:56324 -> 198.51.100.1:443", await ReadAddressesAsync(proxy));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_UnknownV1_HandlerSeesRealAddress(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync([.. ProxyHeaders.V1("PROXY UNKNOWN\r\n"), .. Request]);

        Assert.Equal($"{proxy.Socket.LocalEndPoint} -> {server.EndPoint}", await ReadAddressesAsync(proxy));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_BadV2Signature_ClosedWithoutAnswer_OtherProxyServed(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "127.0.0.0/8");
        await using RawClient neighbour = await RawClient.ConnectAsync(server.EndPoint);
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);
        byte[] header = ProxyHeaders.V2Inet(Client, Destination);
        header[7] ^= 0x20;

        await proxy.SendAsync([.. header, .. Request]);

        Assert.Equal(0, await ReceiveAnyAsync(proxy.Socket));
        await neighbour.SendAsync([.. ProxyHeaders.V2Inet(Client, Destination), .. Request]);
        Assert.Equal("192.0.2.10:56324 -> 198.51.100.1:443", await ReadAddressesAsync(neighbour));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_TruncatedHeaderThenHalfClose_ClosedWithoutAnswer(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync(ProxyHeaders.V2Inet(Client, Destination)[..20]);
        proxy.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(0, await ReceiveAnyAsync(proxy.Socket));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_TruncatedHeaderThenSilence_ClosedAfterHandshakeTimeout(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, ["127.0.0.0/8"], options => options.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync(ProxyHeaders.V1("PROXY TCP4 192.0.2.10 "));

        Assert.True(await proxy.StaysOpenAsync(TimeSpan.FromMilliseconds(100)));
        Assert.Equal(0, await ReceiveAnyAsync(proxy.Socket));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_LocalCommand_HandlerSeesRealAddress(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync([.. ProxyHeaders.V2(0x20, 0x00, []), .. Request]);

        Assert.Equal($"{proxy.Socket.LocalEndPoint} -> {server.EndPoint}", await ReadAddressesAsync(proxy));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_NoHeader_ClosedWithoutAnswer(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync(Request);

        Assert.Equal(0, await ReceiveAnyAsync(proxy.Socket));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_InvalidHeader_ClosedWithoutAnswer(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync([.. ProxyHeaders.V1("PROXY TCP4 192.0.2.300 198.51.100.1 1 2\r\n"), .. Request]);

        Assert.Equal(0, await ReceiveAnyAsync(proxy.Socket));
    }

    [Theory]
    [OnEveryEngine]
    public async Task TrustedProxy_SendsNothing_ClosedAfterHandshakeTimeout(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, ["127.0.0.0/8"], options => options.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        Assert.True(await proxy.StaysOpenAsync(TimeSpan.FromMilliseconds(100)));
        Assert.True(await proxy.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [OnEveryEngine]
    public async Task UntrustedPeer_ProxyLine_IsAFramingError(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, "192.0.2.0/24");
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(ProxyHeaders.V1("PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n"));

        string error = await client.ReadJsonAsync();
        Assert.Contains("\"code\": \"header_too_large\"", error, StringComparison.Ordinal);
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [OnEveryEngine]
    public async Task UntrustedPeer_V2Header_IsAFrameHeaderThatNeverCompletes(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, ["192.0.2.0/24"], options => options.FrameTimeout = TimeSpan.FromMilliseconds(500));
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        // Read as a frame, the signature's first two bytes announce a 3338-byte header that never comes.
        await client.SendAsync([.. ProxyHeaders.V2Inet(Client, Destination), .. Request]);

        string error = await client.ReadJsonAsync();
        Assert.Contains("\"code\": \"frame_timeout\"", error, StringComparison.Ordinal);
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [OnEveryEngine]
    public async Task NoTrustedProxies_RequestWithoutHeader_Answered(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Request);

        Assert.Equal($"{client.Socket.LocalEndPoint} -> {server.EndPoint}", await ReadAddressesAsync(client));
    }

    [Theory]
    [OnEveryEngine(false, Tls = true)]
    [OnEveryEngine(true, Tls = true)]
    public async Task TrustedProxy_HeaderThenTls_HandlerSeesClientAddress(ServerEngine engine, bool inOneSendWithClientHello)
    {
        using TestCertificates certificates = TestCertificates.Create();
        await using RunningServer server = await StartAsync(engine, ["127.0.0.0/8"], options =>
            options.Tls = TlsServerOptions.FromPemFiles(certificates.ServerCertPath, certificates.ServerKeyPath));
        byte[] header = ProxyHeaders.V2Inet(Client, Destination);

        await using RawClient proxy = await RawClient.ConnectTlsAsync(server.EndPoint, certificates.CaPath, socketStream =>
        {
            if (inOneSendWithClientHello)
            {
                return new CapturingStream(socketStream) { Prefix = header };
            }

            socketStream.Write(header);
            return socketStream;
        });
        await proxy.SendAsync(Request);

        Assert.Equal("192.0.2.10:56324 -> 198.51.100.1:443", await ReadAddressesAsync(proxy));
    }

    private static Task<RunningServer> StartAsync(ServerEngine engine, params string[] trusted) => StartAsync(engine, trusted, null);

    private static Task<RunningServer> StartAsync(ServerEngine engine, string[] trusted, Action<MessageServerOptions>? configure) =>
        RunningServer.StartAsync(
            new AddressHandler(),
            options =>
            {
                foreach (string network in trusted)
                {
                    options.TrustedProxies.Add(IPNetwork.Parse(network));
                }

                configure?.Invoke(options);
            },
            engine);

    private static async Task<string> ReadAddressesAsync(RawClient client)
    {
        (_, byte[] content) = await client.ReadFrameAsync();
        return Encoding.UTF8.GetString(content);
    }

    // Bytes received before the server closed; 0 when it closed without a word.
    private static async Task<int> ReceiveAnyAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        byte[] buffer = new byte[4096];
        int total = 0;
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                total += n;
            }
        }
        catch (SocketException)
        {
            // A reset also ends the connection.
        }

        return total;
    }

    /// <summary>Answers every request with the connection's addresses as the handler sees them.</summary>
    private sealed class AddressHandler : IMessageHandler
    {
        public ValueTask HandleAsync(MessageContext context, CancellationToken cancellationToken)
        {
            string text = $"{context.Connection.RemoteEndPoint} -> {context.Connection.LocalEndPoint}";
            context.Respond("binary/addresses", "binary", Encoding.UTF8.GetBytes(text));
            return ValueTask.CompletedTask;
        }
    }
}
