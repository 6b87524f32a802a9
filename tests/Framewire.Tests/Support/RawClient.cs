using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Framewire.Protocol;

namespace Framewire.Tests.Support;

/// <summary>A plain socket that sends arbitrary bytes and reads raw frames back, to test servers from outside.</summary>
internal sealed class RawClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly List<byte> _pending = [];
    private readonly FrameDecoder _decoder = new(new FrameLimits { MaxContentLength = 64 * 1024 * 1024 });

    private RawClient(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    /// <summary>Takes over a socket set up and connected by the caller.</summary>
    public static RawClient Wrap(Socket socket) => new(socket);

    public static async Task<RawClient> ConnectAsync(EndPoint endPoint)
    {
        Socket socket = Endpoints.CreateSocket(endPoint);
        await socket.ConnectAsync(endPoint);
        return new RawClient(socket);
    }

    public Task SendAsync(byte[] bytes) => Socket.SendAsync(bytes, SocketFlags.None);

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
            int n = await Socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException("The server closed the connection.");
            }

            _pending.AddRange(buffer.AsSpan(0, n).ToArray());
        }
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
                int n = await Socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
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
        catch (SocketException)
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

    public ValueTask DisposeAsync()
    {
        Socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
