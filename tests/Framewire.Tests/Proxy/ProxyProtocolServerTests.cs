using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Proxy;

/// <summary>PROXY headers from trusted and untrusted peers, over real loopback sockets, on every engine.</summary>
public abstract class ProxyProtocolServerTests
{
    protected static readonly IPEndPoint Client = new(IPAddress.Parse("192.0.2.10"), 56324);
    protected static readonly IPEndPoint Destination = new(IPAddress.Parse("198.51.100.1"), 443);
    protected static readonly byte[] Request = Frames.Binary("who"u8);

    protected abstract ServerEngine Engine { get; }

    [Fact]
    public async Task TrustedProxy_V2Header_HandlerSeesClientAddress()
    {
        await using RunningServer server = await StartAsync("127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync([.. ProxyHeaders.V2Inet(Client, Destination), .. Request]);

        Assert.Equal("192.0.2.10:56324 -> 198.51.100.1:443", await ReadAddressesAsync(proxy));
    }

    [Fact]
    public async Task TrustedProxy_V1HeaderSplitFromRequest_HandlerSeesClientAddress()
    {
        await using RunningServer server = await StartAsync("10.0.0.0/8", "127.0.0.1/32");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);
        byte[] header = ProxyHeaders.V1("PROXY TCP6 2001:db8::10 2001:db8::1 1000 2000\r\n");

        await proxy.SendAsync(header[..9]);
        await Task.Delay(50);
        await proxy.SendAsync([.. header[9..], .. Request[..3]]);
        await Task.Delay(50);
        await proxy.SendAsync(Request[3..]);

        Assert.Equal("[2001:db8::10]:1000 -> [2001:db8::1]:2000", await ReadAddressesAsync(proxy));
    }

    [Fact]
    public async Task TrustedProxy_V1Tcp4InOneWrite_HandlerSeesClientAddress()
    {
        await using RunningServer server = await StartAsync("127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync([.. ProxyHeaders.V1("PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n"), .. Request]);

        Assert.Equal("192.0.2.10:56324 -> 198.51.100.1:443", await ReadAddressesAsync(proxy));
    }

    [Fact]
    public async Task TrustedProxy_V2Ipv6_HandlerSeesClientAddress()
    {
        await using RunningServer server = await StartAsync("127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);
        var source = new IPEndPoint(IPAddress.Parse("2001:db8::10"), 1000);
        var destination = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 2000);

        await proxy.SendAsync([.. ProxyHeaders.V2Inet(source, destination), .. Request]);

        Assert.Equal("[2001:db8::10]:1000 -> [2001:db8::1]:2000", await ReadAddressesAsync(proxy));
    }

    [Fact]
    public async Task TrustedProxy_HeaderAndRequestByteAtATime_HandlerSeesClientAddress()
    {
        await using RunningServer server = await StartAsync("127.0.0.0/8");
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

    [Fact]
    public async Task TrustedProxy_UnknownV1_HandlerSeesRealAddress()
    {
        await using RunningServer server = await StartAsync("127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync([.. ProxyHeaders.V1("PROXY UNKNOWN\r\n"), .. Request]);

        Assert.Equal($"{proxy.Socket.LocalEndPoint} -> {server.EndPoint}", await ReadAddressesAsync(proxy));
    }

    [Fact]
    public async Task TrustedProxy_BadV2Signature_ClosedWithoutAnswer_OtherProxyServed()
    {
        await using RunningServer server = await StartAsync("127.0.0.0/8");
        await using RawClient neighbour = await RawClient.ConnectAsync(server.EndPoint);
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);
        byte[] header = ProxyHeaders.V2Inet(Client, Destination);
        header[7] ^= 0x20;

        await proxy.SendAsync([.. header, .. Request]);

        Assert.Equal(0, await ReceiveAnyAsync(proxy.Socket));
        await neighbour.SendAsync([.. ProxyHeaders.V2Inet(Client, Destination), .. Request]);
        Assert.Equal("192.0.2.10:56324 -> 198.51.100.1:443", await ReadAddressesAsync(neighbour));
    }

    [Fact]
    public async Task TrustedProxy_TruncatedHeaderThenHalfClose_ClosedWithoutAnswer()
    {
        await using RunningServer server = await StartAsync("127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync(ProxyHeaders.V2Inet(Client, Destination)[..20]);
        proxy.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(0, await ReceiveAnyAsync(proxy.Socket));
    }

    [Fact]
    public async Task TrustedProxy_TruncatedHeaderThenSilence_ClosedAfterHandshakeTimeout()
    {
        await using RunningServer server = await StartAsync(["127.0.0.0/8"], options => options.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync(ProxyHeaders.V1("PROXY TCP4 192.0.2.10 "));

        Assert.True(await proxy.StaysOpenAsync(TimeSpan.FromMilliseconds(100)));
        Assert.Equal(0, await ReceiveAnyAsync(proxy.Socket));
    }

    [Fact]
    public async Task TrustedProxy_LocalCommand_HandlerSeesRealAddress()
    {
        await using RunningServer server = await StartAsync("127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync([.. ProxyHeaders.V2(0x20, 0x00, []), .. Request]);

        Assert.Equal($"{proxy.Socket.LocalEndPoint} -> {server.EndPoint}", await ReadAddressesAsync(proxy));
    }

    [Fact]
    public async Task TrustedProxy_NoHeader_ClosedWithoutAnswer()
    {
        await using RunningServer server = await StartAsync("127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync(Request);

        Assert.Equal(0, await ReceiveAnyAsync(proxy.Socket));
    }

    [Fact]
    public async Task TrustedProxy_InvalidHeader_ClosedWithoutAnswer()
    {
        await using RunningServer server = await StartAsync("127.0.0.0/8");
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        await proxy.SendAsync([.. ProxyHeaders.V1("PROXY TCP4 192.0.2.300 198.51.100.1 1 2\r\n"), .. Request]);

        Assert.Equal(0, await ReceiveAnyAsync(proxy.Socket));
    }

    [Fact]
    public async Task TrustedProxy_SendsNothing_ClosedAfterHandshakeTimeout()
    {
        await using RunningServer server = await StartAsync(["127.0.0.0/8"], options => options.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        await using RawClient proxy = await RawClient.ConnectAsync(server.EndPoint);

        Assert.True(await proxy.StaysOpenAsync(TimeSpan.FromMilliseconds(100)));
        Assert.True(await proxy.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task UntrustedPeer_ProxyLine_IsAFramingError()
    {
        await using RunningServer server = await StartAsync("192.0.2.0/24");
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(ProxyHeaders.V1("PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n"));

        string error = await client.ReadJsonAsync();
        Assert.Contains("\"code\": \"header_too_large\"", error, StringComparison.Ordinal);
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task UntrustedPeer_V2Header_IsAFrameHeaderThatNeverCompletes()
    {
        await using RunningServer server = await StartAsync(["192.0.2.0/24"], options => options.FrameTimeout = TimeSpan.FromMilliseconds(500));
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        // Read as a frame, the signature's first two bytes announce a 3338-byte header that never comes.
        await client.SendAsync([.. ProxyHeaders.V2Inet(Client, Destination), .. Request]);

        string error = await client.ReadJsonAsync();
        Assert.Contains("\"code\": \"frame_timeout\"", error, StringComparison.Ordinal);
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task NoTrustedProxies_RequestWithoutHeader_Answered()
    {
        await using RunningServer server = await StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Request);

        Assert.Equal($"{client.Socket.LocalEndPoint} -> {server.EndPoint}", await ReadAddressesAsync(client));
    }

    private protected Task<RunningServer> StartAsync(params string[] trusted) => StartAsync(trusted, null);

    private protected Task<RunningServer> StartAsync(string[] trusted, Action<MessageServerOptions>? configure) =>
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
            Engine);

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

public sealed class ProxyProtocolServerTestsOnSelectorEngine : ProxyProtocolServerTests
{
    protected override ServerEngine Engine => ServerEngine.Selector;
}

public sealed class ProxyProtocolServerTestsOnAsyncEngine : ProxyProtocolServerTests
{
    protected override ServerEngine Engine => ServerEngine.Async;

    [Fact]
    public async Task TrustedProxy_HeaderThenTls_HandlerSeesClientAddress()
    {
        using TestCertificates certificates = TestCertificates.Create();
        await using RunningServer server = await StartAsync(["127.0.0.0/8"], options =>
            options.Tls = TlsServerOptions.FromPemFiles(certificates.ServerCertPath, certificates.ServerKeyPath));
        using Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.EndPoint);

        // The header goes out in clear, then the TLS handshake on the same connection, as a load balancer does it.
        await socket.SendAsync(ProxyHeaders.V2Inet(Client, Destination));
        await using var tls = new SslStream(new NetworkStream(socket), leaveInnerStreamOpen: false);
        var trust = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
        {
            TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
            RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        trust.CustomTrustStore.AddRange(Framewire.Internal.PemFiles.LoadCertificates(certificates.CaPath));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", CertificateChainPolicy = trust });
        await tls.WriteAsync(Request);

        var decoder = new FrameDecoder();
        var received = new List<byte>();
        byte[] buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(received.ToArray());
            if (decoder.Decode(ref sequence, out Frame frame, out _) == DecodeStatus.Frame)
            {
                Assert.Equal("192.0.2.10:56324 -> 198.51.100.1:443", Encoding.UTF8.GetString(frame.Content.ToArray()));
                return;
            }

            int n = await tls.ReadAsync(buffer, timeout.Token);
            Assert.NotEqual(0, n);
            received.AddRange(buffer[..n]);
        }
    }
}
