using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Framewire.Protocol;

namespace Framewire.Tests.Support;

/// <summary>
/// A loopback server on real sockets that counts every request frame it reads, and per connection either answers
/// each search with <c>{"result": value}</c> or closes the connection as soon as it has read one request.
/// </summary>
internal sealed class DroppingServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<int, bool> _drops;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Task> _connections = [];
    private int _accepted;
    private int _requests;

    /// <param name="drops">Given the connection's number (from 1), true to drop it after its first request.</param>
    public DroppingServer(Func<int, bool> drops)
    {
        _drops = drops;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public int ConnectionsAccepted => Volatile.Read(ref _accepted);

    public int RequestsReceived => Volatile.Read(ref _requests);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            bool drop = _drops(Interlocked.Increment(ref _accepted));
            lock (_connections)
            {
                _connections.Add(ServeAsync(socket, drop));
            }
        }
    }

    private async Task ServeAsync(Socket socket, bool drop)
    {
        using (socket)
        {
            var decoder = new FrameDecoder(FrameLimits.Default);
            var pending = new List<byte>();
            byte[] buffer = new byte[4096];
            try
            {
                while (true)
                {
                    int n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    pending.AddRange(buffer.AsSpan(0, n).ToArray());
                    var sequence = new ReadOnlySequence<byte>(pending.ToArray());
                    var answers = new ArrayBufferWriter<byte>();
                    while (decoder.Decode(ref sequence, out Frame frame, out _) == DecodeStatus.Frame)
                    {
                        Interlocked.Increment(ref _requests);
                        if (drop)
                        {
                            return;
                        }

                        using JsonDocument request = JsonDocument.Parse(frame.Content.ToArray());
                        string value = request.RootElement.GetProperty("value").GetString()!;
                        FrameEncoder.Write(answers, ContentTypes.Json, ContentTypes.Utf8, JsonSerializer.SerializeToUtf8Bytes(new { result = value }));
                    }

                    pending.Clear();
                    pending.AddRange(sequence.ToArray());
                    await socket.SendAsync(answers.WrittenMemory, SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                // Stopped, or the client went away.
            }
        }
    }
}
