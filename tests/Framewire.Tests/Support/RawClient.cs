using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Framewire.Protocol;

namespace Framewire.Tests.Support;

/// <summary>
/// A socket that sends arbitrary bytes and reads raw frames back, to test servers from outside; plain, or with
/// TLS in between (<see cref="ConnectTlsAsync"/>), where <see cref="Socket"/> is the raw socket beneath.
/// </summary>
internal sealed class RawClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly List<byte> _pending = [];
    private readonly FrameDecoder _decoder = new(new FrameLimits { MaxContentLength = 64 * 1024 * 1024 });
    private Stream? _stream;

    private RawClient(Socket socket, Stream? stream = null)
    {
        Socket = socket;
        _stream = stream;
    }

    public Socket Socket { get; }

    /// <summary>The TLS session of a client made by <see cref="ConnectTlsAsync"/>; null on a plain one.</summary>
    public SslStream? Tls => _stream as SslStream;

    // Made at first use: a wrapped socket may be connected after it is wrapped.
    private Stream Stream => _stream ??= new NetworkStream(Socket, ownsSocket: false);

    /// <summary>Takes over a socket set up and connected by the caller.</summary>
    public static RawClient Wrap(Socket socket) => new(socket);

    /// <summary>Connects a plain socket; <paramref name="beforeConnect"/> sets it up first (buffer sizes take effect on the window only before the connect).</summary>
    public static async Task<RawClient> ConnectAsync(EndPoint endPoint, Action<Socket>? beforeConnect = null)
    {
        Socket socket = Endpoints.CreateSocket(endPoint);
        beforeConnect?.Invoke(socket);
        await socket.ConnectAsync(endPoint);
        return new RawClient(socket);
    }

    /// <summary>Connects and shakes hands with TLS, trusting the server certificate issued by <paramref name="caPath"/>.</summary>
    /// <remarks>
    /// <paramref name="wrap"/> may put a stream of its own between TLS and the socket; <paramref name="beforeConnect"/>
    /// sets the socket up (buffer sizes take effect on the window only before the connect).
    /// </remarks>
    public static async Task<RawClient> ConnectTlsAsync(EndPoint endPoint, string caPath, Func<Stream, Stream>? wrap = null, Action<Socket>? beforeConnect = null, Action<SslClientAuthenticationOptions>? configure = null)
    {
        Socket socket = Endpoints.CreateSocket(endPoint);
        beforeConnect?.Invoke(socket);
        await socket.ConnectAsync(endPoint);
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
        Stream beneath = new NetworkStream(socket, ownsSocket: false);
        var tls = new SslStream(wrap is null ? beneath : wrap(beneath));
        var chain = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        chain.CustomTrustStore.Add(ca);
        var options = new SslClientAuthenticationOptions { TargetHost = "localhost", CertificateChainPolicy = chain };
        configure?.Invoke(options);
        await tls.AuthenticateAsClientAsync(options);
        return new RawClient(socket, tls);
    }

    public async Task SendAsync(byte[] bytes)
    {
        await Stream.WriteAsync(bytes);
        await Stream.FlushAsync();
    }

    public async Task<(FrameHeader Header, byte[] Content)> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        byte[] buffer = new byte[65536];
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_pending.ToArray());
            DecodeStatus status = _decoder.Decode(ref sequence, out Frame frame, out ProtocolError error);
            if (status == DecodeStatus.Frame)
            {
                var result = (frame.Header, frame.Content.ToArray());
                _pending.Clear();
                _pending.AddRange(sequence.ToArray());
                return result;
            }

            if (status == DecodeStatus.Error)
            {
                throw new ProtocolException(error);
            }

            _pending.Clear();
            _pending.AddRange(sequence.ToArray());
            int n = await Stream.ReadAsync(buffer, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException("The server closed the connection.");
            }

            _pending.AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> raw bytes (after any a frame read left over).</summary>
    public async Task<byte[]> ReadBytesAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        byte[] result = new byte[count];
        int have = Math.Min(count, _pending.Count);
        _pending.CopyTo(0, result, 0, have);
        _pending.RemoveRange(0, have);
        while (have < count)
        {
            int n = await Stream.ReadAsync(result.AsMemory(have), cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"The server closed the connection after {have} of {count} byte(s).");
            }

            have += n;
        }

        return result;
    }

    public async Task<string> ReadJsonAsync()
    {
        (FrameHeader header, byte[] content) = await ReadFrameAsync();
        Assert.Equal("text/json", header.ContentType);
        return Encoding.UTF8.GetString(content);
    }

    /// <summary>True when the server closes (FIN) within the timeout after everything it sent was read.</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        byte[] buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await Stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return true;
        }
    }

    /// <summary>True when nothing arrives and the connection stays open for <paramref name="wait"/>.</summary>
    public async Task<bool> StaysOpenAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            int n = await Socket.ReceiveAsync(new byte[1], SocketFlags.Peek, cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is not null)
        {
            await _stream.DisposeAsync();
        }

        Socket.Dispose();
    }
}
