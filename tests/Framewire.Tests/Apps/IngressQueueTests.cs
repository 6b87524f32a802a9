using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Apps;

/// <summary>
/// The pull model over real loopback sockets: messages in the ingress queue, answers from the node's threads in the
/// connections' order, backpressure when the queue or a connection's read-ahead is full. Part of the
/// engine-conformance suite: every test runs on every engine in <see cref="ConformanceEngines"/>.
/// </summary>
public sealed class IngressQueueTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void Constructor_CapacityBelowOne_RefusedWithTheRule()
    {
        var refused = Assert.Throws<OptionOutOfRangeException>(() => new IngressQueue(0));

        Assert.Equal("capacity is 0; it must be at least 1.", refused.Message);
    }

    [Fact]
    public async Task ReadAsync_NothingQueued_ReturnsNullWhenTheTickPasses()
    {
        var queue = new IngressQueue(4);
        var watch = Stopwatch.StartNew();

        IncomingMessage? message = await queue.ReadAsync(TimeSpan.FromMilliseconds(100));

        Assert.Null(message);
        Assert.InRange(watch.ElapsedMilliseconds, 90, 2000);

        // Ticking again reuses what the first tick left, and is as punctual.
        watch.Restart();
        Assert.Null(await queue.ReadAsync(TimeSpan.FromMilliseconds(100)));
        Assert.InRange(watch.ElapsedMilliseconds, 90, 2000);
        Assert.Null(await queue.ReadAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task ReadAsync_Cancelled_ThrowsRatherThanTicking()
    {
        var queue = new IngressQueue(4);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await queue.ReadAsync(TimeSpan.FromSeconds(10), cancel.Token));
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task Pipelined_AnsweredOnAnotherThread_InOrder(ServerEngine engine)
    {
        var queue = new IngressQueue(64);
        await using RunningServer server = await StartAsync(queue, engine);
        using var node = new EchoNode(queue);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Burst(0, 500));

        for (int i = 0; i < 500; i++)
        {
            (FrameHeader header, byte[] content) = await client.ReadFrameAsync();
            Assert.Equal("binary/test", header.ContentType);
            Assert.Equal(i, Number(content));
        }

        Assert.Equal(500, node.Answered);
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task QueueFull_ServerStopsReadingAndResumes_NothingLostOrReordered(ServerEngine engine)
    {
        const int Count = 3000;
        var queue = new IngressQueue(4);

        // Small frames limits keep the async engine's input pipe small, so that not reading shows on the socket.
        await using RunningServer server = await StartAsync(queue, engine, options =>
        {
            options.Limits = new FrameLimits { MaxContentLength = 4096 };
            options.MaxInFlight = Count;
        });
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        client.Socket.SendBufferSize = 64 * 1024;
        byte[] burst = Burst(0, Count, padding: 1000);
        Task sending = client.SendAsync(burst);

        // Nobody takes messages: the queue fills, and the server stops taking the connection's bytes.
        // What the engine reads ahead into its own buffers (the async engine's input pipe) may still come in after the
        // queue is full: reading has stopped once the count holds still for 300 ms, well short of the whole burst.
        await Eventually.TrueAsync(() => queue.Count == 4);
        long received = ReceivedBy(server);
        for (int settle = 0; settle < 30; settle++)
        {
            await Task.Delay(300);
            long now = ReceivedBy(server);
            if (now == received)
            {
                break;
            }

            received = now;
        }

        await Task.Delay(300);
        Assert.Equal(received, ReceivedBy(server));
        Assert.True(received < burst.Length / 2, $"the server read {received} of {burst.Length} bytes with its queue full");
        Assert.False(sending.IsCompleted);

        using var node = new EchoNode(queue);
        await sending.WaitAsync(TimeSpan.FromSeconds(30));
        for (int i = 0; i < Count; i++)
        {
            Assert.Equal(i, Number((await client.ReadFrameAsync()).Content));
        }

        Assert.Equal(Count, node.Answered);
        Assert.Equal(Count, node.FirstSeen);
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task ManyConnections_QueueSmall_EveryConnectionServedInItsOrder(ServerEngine engine)
    {
        var queue = new IngressQueue(2);
        await using RunningServer server = await StartAsync(queue, engine);
        using var node = new EchoNode(queue, replyLater: true);
        var clients = new RawClient[8];
        for (int c = 0; c < clients.Length; c++)
        {
            clients[c] = await RawClient.ConnectAsync(server.EndPoint);
        }

        try
        {
            await Task.WhenAll(clients.Select(client => client.SendAsync(Burst(0, 200))));
            foreach (RawClient client in clients)
            {
                for (int i = 0; i < 200; i++)
                {
                    Assert.Equal(i, Number((await client.ReadFrameAsync()).Content));
                }
            }
        }
        finally
        {
            foreach (RawClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task RepliedOutOfOrder_FromManyThreads_SentInRequestOrder(ServerEngine engine)
    {
        var queue = new IngressQueue(64);
        await using RunningServer server = await StartAsync(queue, engine, options => options.MaxInFlight = 40);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync(Burst(0, 40));

        List<IncomingMessage> taken = await TakeAsync(queue, 40);

        // Last first, each from a thread of its own: the first answer unblocks them all.
        await Task.WhenAll(Enumerable.Range(0, 40).Reverse().Select(i => Task.Run(() =>
        {
            using IncomingMessage message = taken[i];
            Assert.True(message.Reply("binary/test", "binary", message.Content.Span));
        })));

        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(i, Number((await client.ReadFrameAsync()).Content));
        }
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task ReadAhead_AnswersOwedAtMaxInFlight_ConnectionWaitsForTheOldest(ServerEngine engine)
    {
        var queue = new IngressQueue(100);
        await using RunningServer server = await StartAsync(queue, engine, options => options.MaxInFlight = 8);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync(Burst(0, 50));

        await Eventually.TrueAsync(() => queue.Count == 8);
        await Task.Delay(200);
        Assert.Equal(8, queue.Count);

        using var node = new EchoNode(queue);
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(i, Number((await client.ReadFrameAsync()).Content));
        }
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task Disposed_Unanswered_AnsweredWithInternalError(ServerEngine engine)
    {
        var queue = new IngressQueue(4);
        await using RunningServer server = await StartAsync(queue, engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync(Burst(0, 1));

        IncomingMessage message = await TakeAsync(queue);
        Assert.Equal(0, Number(message.Content.ToArray()));
        Assert.Equal(((IPEndPoint)client.Socket.LocalEndPoint!).Port, ((IPEndPoint)message.Connection.RemoteEndPoint!).Port);
        message.Dispose();

        Assert.Contains("\"internal_error\"", await client.ReadJsonAsync(), StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => message.Reply("binary/test", "binary", default));
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task Reply_Twice_Refused(ServerEngine engine)
    {
        var queue = new IngressQueue(4);
        await using RunningServer server = await StartAsync(queue, engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync(Burst(0, 1));

        using IncomingMessage message = await TakeAsync(queue);
        Assert.True(message.ReplyError(ErrorCode.InvalidRequest, "no"));

        Assert.Throws<InvalidOperationException>(() => message.Reply("binary/test", "binary", default));
        Assert.Contains("\"invalid_request\"", await client.ReadJsonAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task Stop_AnswersOwed_SentBeforeTheConnectionCloses(ServerEngine engine)
    {
        var queue = new IngressQueue(4);
        RunningServer server = await StartAsync(queue, engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync(Burst(0, 3));
        List<IncomingMessage> taken = await TakeAsync(queue, 3);

        Task stopping = server.Server.StopAsync();
        await Task.Delay(200);
        Assert.False(stopping.IsCompleted);
        foreach (IncomingMessage message in taken)
        {
            message.Reply("binary/test", "binary", message.Content.Span);
            message.Dispose();
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(i, Number((await client.ReadFrameAsync()).Content));
        }

        Assert.True(await client.IsClosedByServerAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        await server.DisposeAsync();
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task ClientHalfCloses_AnswersOwed_StillSent(ServerEngine engine)
    {
        var queue = new IngressQueue(4);
        await using RunningServer server = await StartAsync(queue, engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync(Burst(0, 2));
        client.Socket.Shutdown(SocketShutdown.Send);

        using (var node = new EchoNode(queue, replyLater: true))
        {
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(i, Number((await client.ReadFrameAsync()).Content));
            }
        }

        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task BrokenFrame_AfterAnswersOwed_RefusedAfterThem(ServerEngine engine)
    {
        var queue = new IngressQueue(4);
        await using RunningServer server = await StartAsync(queue, engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        // A header that is not JSON, after two good frames.
        byte[] broken = [0, 3, (byte)'x', (byte)'y', (byte)'z'];
        await client.SendAsync([.. Burst(0, 2), .. broken]);
        using (var node = new EchoNode(queue, replyLater: true))
        {
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(i, Number((await client.ReadFrameAsync()).Content));
            }
        }

        Assert.Contains("\"error\"", await client.ReadJsonAsync(), StringComparison.Ordinal);
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task Reply_AfterTheConnectionClosed_ReturnsFalse(ServerEngine engine)
    {
        var queue = new IngressQueue(4);
        await using RunningServer server = await StartAsync(queue, engine);
        RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync(Burst(0, 1));
        using IncomingMessage message = await TakeAsync(queue);

        client.Socket.LingerState = new LingerOption(true, 0);
        await client.DisposeAsync();
        await Eventually.TrueAsync(() => server.Server.ConnectionCount == 0);

        Assert.False(message.Reply("binary/test", "binary", message.Content.Span));
    }

    [Theory]
    [OnEveryEngine(Ingress = true)]
    public async Task LiveView_AnswersOwed_ConnectionInFlightNotIdle(ServerEngine engine)
    {
        var queue = new IngressQueue(4);
        await using RunningServer server = await StartAsync(queue, engine, options => options.IdleTimeout = TimeSpan.FromMilliseconds(300));
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync(Burst(0, 1));
        using IncomingMessage message = await TakeAsync(queue);

        // Well past the idle timeout, the connection still waits for its answer.
        await Task.Delay(1000);
        ConnectionSnapshot connection = Assert.Single(server.Server.GetConnections());
        Assert.Equal(1, connection.RequestsInFlight);
        Assert.Equal(1, connection.FramesReceived);
        message.Reply("binary/test", "binary", message.Content.Span);

        Assert.Equal(0, Number((await client.ReadFrameAsync()).Content));
        await Eventually.TrueAsync(() => server.Server.GetConnections() is [{ RequestsInFlight: 0, FramesSent: 1 }] or []);
    }

    [Theory]
    [OnEveryEngine(Ingress = true, Tls = true)]
    public async Task Tls_AnsweredOnAnotherThread_InOrder(ServerEngine engine)
    {
        TestCertificates certificates = TestCertificates.Create();
        var queue = new IngressQueue(16);
        await using RunningServer server = await StartAsync(queue, engine, options =>
            options.Tls = TlsServerOptions.FromPemFiles(certificates.ServerCertPath, certificates.ServerKeyPath));
        using var node = new EchoNode(queue, replyLater: true);
        await using RawClient client = await RawClient.ConnectTlsAsync(server.EndPoint, certificates.CaPath);

        for (int round = 0; round < 3; round++)
        {
            await client.SendAsync(Burst(round * 100, 100));
            for (int i = 0; i < 100; i++)
            {
                Assert.Equal((round * 100) + i, Number((await client.ReadFrameAsync()).Content));
            }
        }
    }

    [Theory]
    [OnEveryEngine("crc32c:00000000", ErrorCode.ChecksumMismatch, Ingress = true)]
    [OnEveryEngine("crc32c:XYZ", ErrorCode.ChecksumInvalid, Ingress = true)]
    public async Task WrongOrMalformedChecksum_RefusedInItsTurn_TheNodeNeverSeesIt(ServerEngine engine, string value, ErrorCode code)
    {
        var queue = new IngressQueue(16);
        await using RunningServer server = await StartAsync(queue, engine);
        using var node = new EchoNode(queue, replyLater: true);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        byte[] one = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(one, 1);
        byte[] two = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(two, 2);

        // Between two good frames, one whose checksum is wrong, and after it one whose checksum is right.
        await client.SendAsync([
            .. Burst(0, 1),
            .. Frames.Encode("binary/test", "binary", one, [HeaderField.FromString(ContentChecksum.HeaderName, value)]),
            .. Frames.Encode("binary/test", "binary", two, checksum: ChecksumAlgorithm.Crc32C)]);

        Assert.Equal(0, Number((await client.ReadFrameAsync()).Content));
        (FrameHeader refusedHeader, byte[] refused) = await client.ReadFrameAsync();
        Assert.Equal("text/json", refusedHeader.ContentType);
        Assert.Contains($"\"code\": \"{new ProtocolError(code, "").WireCode}\"", Encoding.UTF8.GetString(refused), StringComparison.Ordinal);
        Assert.Equal(2, Number((await client.ReadFrameAsync()).Content));
        Assert.Equal(2, node.Answered);
        Assert.Equal(1, server.Server.GetStatistics().Errors[code]);
    }

    [Theory]
    [OnEveryEngine(ChecksumAlgorithm.Crc32C, Ingress = true)]
    [OnEveryEngine(ChecksumAlgorithm.Sha256, Ingress = true)]
    public async Task Server_WithChecksum_EveryKindOfAnswerCarriesAValidOne(ServerEngine engine, ChecksumAlgorithm algorithm)
    {
        var queue = new IngressQueue(16);
        await using RunningServer server = await StartAsync(queue, engine, options => options.Checksum = algorithm);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        await client.SendAsync([
            .. Burst(0, 3),
            .. Frames.Encode("binary/test", "binary", "x"u8, [HeaderField.FromString(ContentChecksum.HeaderName, "crc32c:00000000")])]);

        // A reply, an error reply, a message disposed unanswered, and a frame the server refuses itself.
        List<IncomingMessage> taken = await TakeAsync(queue, 3);
        Assert.True(taken[0].Reply("binary/test", "binary", taken[0].Content.Span));
        Assert.True(taken[1].ReplyError(ErrorCode.InvalidRequest, "no"));
        foreach (IncomingMessage message in taken)
        {
            message.Dispose();
        }

        foreach (string expected in new[] { "", "invalid_request", "internal_error", "checksum_mismatch" })
        {
            (FrameHeader header, byte[] content) = await client.ReadFrameAsync();
            string? value = Assert.Single(header.CustomHeaders).StringValue;
            Assert.StartsWith(algorithm == ChecksumAlgorithm.Crc32C ? "crc32c:" : "sha256:", value, StringComparison.Ordinal);
            Assert.True(ContentChecksum.TryVerify(value, new ReadOnlySequence<byte>(content), out ProtocolError error), error.Message);
            Assert.Contains(expected, Encoding.UTF8.GetString(content), StringComparison.Ordinal);
        }
    }

    internal static async Task<RunningServer> StartAsync(IngressQueue queue, ServerEngine engine, Action<MessageServerOptions>? configure = null) =>
        await RunningServer.StartAsync(queue, configure, engine);

    /// <summary>Frames numbered from <paramref name="first"/>, content a 4-byte big-endian number then padding.</summary>
    internal static byte[] Burst(int first, int count, int padding = 0)
    {
        var burst = new List<byte>();
        byte[] content = new byte[4 + padding];
        for (int i = first; i < first + count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(content, i);
            burst.AddRange(Frames.Encode("binary/test", "binary", content));
        }

        return [.. burst];
    }

    internal static int Number(byte[] content) => BinaryPrimitives.ReadInt32BigEndian(content);

    private static async Task<IncomingMessage> TakeAsync(IngressQueue queue) =>
        await queue.ReadAsync(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException("no message in 10 s");

    private static async Task<List<IncomingMessage>> TakeAsync(IngressQueue queue, int count)
    {
        var taken = new List<IncomingMessage>();
        while (taken.Count < count)
        {
            taken.Add(await TakeAsync(queue));
        }

        return taken;
    }

    private static long ReceivedBy(RunningServer server) => server.Server.GetConnections().Sum(connection => connection.BytesReceived);

    /// <summary>
    /// A node on its own thread that takes every message and echoes its content back, checking that each
    /// connection's messages come in order; with <paramref name="replyLater"/>, each answer goes from the thread pool.
    /// </summary>
    private sealed class EchoNode : IDisposable
    {
        private readonly IngressQueue _queue;
        private readonly bool _replyLater;
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;
        private readonly Dictionary<long, int> _next = [];
        private int _answered;
        private int _firstSeen;
        private Exception? _failure;

        public EchoNode(IngressQueue queue, bool replyLater = false)
        {
            _queue = queue;
            _replyLater = replyLater;
            _thread = new Thread(Run) { IsBackground = true, Name = "echo node" };
            _thread.Start();
        }

        public int Answered => Volatile.Read(ref _answered);

        /// <summary>Messages that came in their connection's order.</summary>
        public int FirstSeen => Volatile.Read(ref _firstSeen);

        public void Dispose()
        {
            _stop.Cancel();
            _thread.Join();
            _stop.Dispose();
            if (_failure is not null)
            {
                throw new InvalidOperationException("The node failed.", _failure);
            }
        }

        private void Run()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    IncomingMessage? message = _queue.ReadAsync(Tick, _stop.Token).AsTask().GetAwaiter().GetResult();
                    if (message is null)
                    {
                        continue;
                    }

                    int number = Number(message.Content.ToArray());
                    int expected = _next.GetValueOrDefault(message.Connection.Id, number);
                    if (number == expected)
                    {
                        Interlocked.Increment(ref _firstSeen);
                    }

                    _next[message.Connection.Id] = number + 1;
                    if (_replyLater)
                    {
                        ThreadPool.QueueUserWorkItem(Answer, message, preferLocal: false);
                    }
                    else
                    {
                        Answer(message);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                _failure = e;
            }
        }

        private void Answer(IncomingMessage message)
        {
            // Counted before the reply leaves: a client that has read every answer then sees them all counted.
            Interlocked.Increment(ref _answered);
            using (message)
            {
                message.Reply("binary/test", "binary", message.Content.Span);
            }
        }
    }
}
