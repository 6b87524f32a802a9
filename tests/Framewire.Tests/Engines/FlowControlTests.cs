using System.Net.Sockets;
using System.Text;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>
/// Read-ahead, backpressure and slow peers over real loopback sockets, on every engine: a pipelining client is
/// held to the in-flight limit, a client that does not read is cut, content that trickles is dropped, and a
/// neighbour is served throughout.
/// </summary>
public sealed class FlowControlTests
{
    private const string Search = "{\"action\": \"search\", \"value\": \"ring\"}";
    private static readonly byte[] LargeAnswer = new byte[48 * 1024];


    [Theory]
    [OnEveryEngine]
    public async Task MaxInFlight_PipelinedAgainstBlockedHandler_AtMostNOutstandingThenAllAnsweredInOrder(ServerEngine engine)
    {
        const int Requests = 100;
        const int MaxInFlight = 4;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int outstanding = 0;
        int mostOutstanding = 0;
        int invoked = 0;
        var handler = new DelegateHandler(async context =>
        {
            int now = Interlocked.Increment(ref outstanding);
            int seen;
            while (now > (seen = Volatile.Read(ref mostOutstanding)) && Interlocked.CompareExchange(ref mostOutstanding, now, seen) != seen)
            {
            }

            Interlocked.Increment(ref invoked);
            byte[] content = System.Buffers.BuffersExtensions.ToArray(context.Request.Content);
            await release.Task;
            Interlocked.Decrement(ref outstanding);
            context.Respond("binary/x", "binary", content);
        });
        await using RunningServer server = await RunningServer.StartAsync(handler, o => o.MaxInFlight = MaxInFlight, engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        var burst = new List<byte>();
        for (int i = 0; i < Requests; i++)
        {
            burst.AddRange(Frames.Binary(Encoding.ASCII.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        await client.SendAsync([.. burst]);
        await Eventually.TrueAsync(() => Volatile.Read(ref invoked) > 0);

        // Time for a server that reads past the limit to show it.
        await Task.Delay(300);
        Assert.InRange(Volatile.Read(ref mostOutstanding), 1, MaxInFlight);
        Assert.InRange(Volatile.Read(ref invoked), 1, MaxInFlight);

        release.SetResult();
        for (int i = 0; i < Requests; i++)
        {
            (FrameHeader header, byte[] content) = await client.ReadFrameAsync(TimeSpan.FromSeconds(20));
            Assert.Equal("binary/x", header.ContentType);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(content));
        }

        Assert.Equal(Requests, Volatile.Read(ref invoked));
        Assert.InRange(Volatile.Read(ref mostOutstanding), 1, MaxInFlight);
    }

    [Theory]
    [OnEveryEngine]
    public async Task SendLimit_ClientThatNeverReads_ClosedWhileNeighbourServed(ServerEngine engine)
    {
        // The selector engine reads on below the high water mark, so a client that keeps asking without reading
        // piles output past the send limit, which alone must close it (no minimum rate). The async engine stops
        // reading while a send is stuck, so its unsent output stays near the high water mark: the rate closes it.
        int handled = 0;
        await using RunningServer server = await StartLargeAnswersAsync(engine, () => Interlocked.Increment(ref handled), o =>
        {
            o.SendHighWater = 64 * 1024;
            o.SendLimit = 64 * 1024;
            o.MinDataRate = engine == ServerEngine.Selector ? 0 : 1024;
            o.MinDataRateGracePeriod = TimeSpan.FromSeconds(1);
        });

        (bool cut, int sent) = await FloodWithoutReadingAsync(server, TimeSpan.FromSeconds(30));

        Assert.True(cut, "the client that never reads was cut");
        Assert.True(sent > 0);

        // The answers it got the server to produce are bounded by the kernel's socket buffers plus the limit, not
        // by the requests it sent: memory stays bounded whatever it sends.
        Assert.True((long)Volatile.Read(ref handled) * LargeAnswer.Length < 32L * 1024 * 1024, $"{handled} answers of {LargeAnswer.Length} bytes");
        await Eventually.TrueAsync(() => server.Server.ConnectionCount == 0);
    }

    [Theory]
    [OnEveryEngine]
    public async Task MinDataRate_ClientThatNeverReads_ClosedAsSlowConsumer(ServerEngine engine)
    {
        await using RunningServer server = await StartLargeAnswersAsync(engine, () => { }, o =>
        {
            o.MinDataRate = 16 * 1024;
            o.MinDataRateGracePeriod = TimeSpan.FromMilliseconds(500);
        });

        (bool cut, _) = await FloodWithoutReadingAsync(server, TimeSpan.FromSeconds(30));

        Assert.True(cut, "the client that never reads was cut");
        await Eventually.TrueAsync(() => server.Server.ConnectionCount == 0);
    }

    [Theory]
    [OnEveryEngine]
    public async Task MinDataRate_TrickledContent_DataRateTooLow_NormalSenderServed(ServerEngine engine)
    {
        var handler = new DelegateHandler(context =>
        {
            context.Respond("binary/x", "binary", Encoding.ASCII.GetBytes(context.Request.Content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return ValueTask.CompletedTask;
        });
        await using RunningServer server = await RunningServer.StartAsync(handler, o =>
        {
            o.MinDataRate = 240;
            o.MinDataRateGracePeriod = TimeSpan.FromMilliseconds(700);
        }, engine);
        await using RawClient trickler = await RawClient.ConnectAsync(server.EndPoint);
        await using RawClient steady = await RawClient.ConnectAsync(server.EndPoint);
        byte[] slow = Frames.Binary(new byte[1000]);
        byte[] normal = Frames.Binary(new byte[20 * 1000]);
        int headerEnd = slow.Length - 1000;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // The header at once, then the content at 10 bytes a second; beside it, content at 20 KB/s for longer
        // than the grace period.
        await trickler.SendAsync(slow[..headerEnd]);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Task trickle = SendSlowlyAsync(trickler, slow[headerEnd..], chunk: 1, TimeSpan.FromMilliseconds(100), stop.Token);
        Task paced = SendSlowlyAsync(steady, normal, chunk: 1000, TimeSpan.FromMilliseconds(50), stop.Token);

        string error = await trickler.ReadJsonAsync();
        TimeSpan cutAfter = watch.Elapsed;
        Assert.Contains("\"code\": \"data_rate_too_low\"", error, StringComparison.Ordinal);
        Assert.InRange(cutAfter, TimeSpan.FromMilliseconds(600), TimeSpan.FromSeconds(10));
        Assert.True(await trickler.IsClosedByServerAsync());

        await paced;
        (FrameHeader header, byte[] answer) = await steady.ReadFrameAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("binary/x", header.ContentType);
        Assert.Equal("20000", Encoding.ASCII.GetString(answer));
        await stop.CancelAsync();
        await trickle;
    }

    private static async Task SendSlowlyAsync(RawClient client, byte[] bytes, int chunk, TimeSpan pause, CancellationToken cancellationToken)
    {
        try
        {
            for (int offset = 0; offset < bytes.Length; offset += chunk)
            {
                await client.Socket.SendAsync(bytes.AsMemory(offset, Math.Min(chunk, bytes.Length - offset)), SocketFlags.None, cancellationToken);
                await Task.Delay(pause, cancellationToken);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // Cut off by the server, or done.
        }
    }

    private static async Task<RunningServer> StartLargeAnswersAsync(ServerEngine engine, Action onHandled, Action<MessageServerOptions> configure)
    {
        var handler = new DelegateHandler(context =>
        {
            onHandled();
            if (context.Request.Header.ContentType == ContentTypes.Json)
            {
                context.Respond("binary/x", "binary", "small"u8);
            }
            else
            {
                context.Respond("binary/x", "binary", LargeAnswer);
            }

            return ValueTask.CompletedTask;
        });
        return await RunningServer.StartAsync(handler, configure, engine);
    }

    /// <summary>
    /// Sends small requests for large answers and never reads, until the server cuts the connection (true) or the
    /// time is up (false); a neighbour is served while the flood is held back.
    /// </summary>
    private static async Task<(bool Cut, int Sent)> FloodWithoutReadingAsync(RunningServer server, TimeSpan limit)
    {
        await using RawClient neighbour = await RawClient.ConnectAsync(server.EndPoint);
        using Socket hog = Endpoints.CreateSocket(server.EndPoint);
        hog.ReceiveBufferSize = 4096;
        await hog.ConnectAsync(server.EndPoint);

        byte[] batch = [.. Enumerable.Range(0, 50).SelectMany(_ => Frames.Binary("give"u8))];
        using var timeout = new CancellationTokenSource(limit);
        int sent = 0;
        bool neighbourServed = false;
        bool cut = false;
        try
        {
            while (true)
            {
                await hog.SendAsync(batch, SocketFlags.None, timeout.Token);
                sent += 50;
                if (!neighbourServed && sent >= 500)
                {
                    await neighbour.SendAsync(Frames.Json("{}"));
                    (FrameHeader header, byte[] content) = await neighbour.ReadFrameAsync(TimeSpan.FromSeconds(20));
                    Assert.Equal("small"u8.ToArray(), content);
                    neighbourServed = true;
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            cut = !timeout.IsCancellationRequested;
        }

        Assert.True(neighbourServed || !cut, "the neighbour was served");
        if (!neighbourServed)
        {
            await neighbour.SendAsync(Frames.Json("{}"));
            Assert.Equal("small"u8.ToArray(), (await neighbour.ReadFrameAsync(TimeSpan.FromSeconds(20))).Content);
        }

        return (cut, sent);
    }
}
