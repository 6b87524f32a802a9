using Framewire.Apps;
using Framewire.Client;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Metrics;

[Collection(MetricsCollection.Name)]
public sealed class ServerMetricsTests
{
    [Theory]
    [OnEveryEngine]
    public async Task Counts_frames_and_connections_of_search_requests(ServerEngine engine)
    {
        const int Requests = 25;
        string tag = "engine=" + ConformanceEngines.FlagValue(engine);
        using var recorder = new MetricsRecorder();
        await using (RunningServer server = await RunningServer.StartAsync(engine: engine))
        {
            await using (MessageClient client = await MessageClient.ConnectAsync(server.EndPoint))
            {
                for (int i = 0; i < Requests; i++)
                {
                    Response response = await client.SearchAsync("morpheus");
                    Assert.False(response.TryGetError(out _));
                }

                Assert.Equal(1, recorder.Sum("framewire.connections.active", tag));
                Assert.Equal(1, recorder.Sum("framewire.connections.total", tag));
            }

            await WaitUntil(() => recorder.Sum("framewire.connections.active", tag) == 0);
            ServerStatistics statistics = server.Server.GetStatistics();
            Assert.Equal(statistics.BytesReceived, recorder.Sum("framewire.bytes.received", tag));
            Assert.Equal(statistics.BytesSent, recorder.Sum("framewire.bytes.sent", tag));
        }

        Assert.Equal(Requests, recorder.Sum("framewire.frames.received", tag));
        Assert.Equal(Requests, recorder.Sum("framewire.frames.sent", tag));
        Assert.Equal(0, recorder.Sum("framewire.connections.active", tag));
        Assert.Equal(1, recorder.Sum("framewire.connections.total", tag));
        Assert.True(recorder.Sum("framewire.bytes.received", tag) > Requests * 2);

        // Every answer is a frame of at least a 2-byte prefix and a header naming its four keys.
        Assert.True(recorder.Sum("framewire.bytes.sent", tag) > Requests * 80, $"{recorder.Sum("framewire.bytes.sent", tag)} bytes sent");
        Assert.Equal(Requests, recorder.Count("framewire.request.duration", tag));
        Assert.Equal(0, recorder.Count("framewire.errors", tag));
    }

    [Theory]
    [OnEveryEngine]
    public async Task Counts_error_frames_by_code(ServerEngine engine)
    {
        using var recorder = new MetricsRecorder();
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using MessageClient client = await MessageClient.ConnectAsync(server.EndPoint);

        Response refused = await client.SendAsync(ContentTypes.Json, ContentTypes.Utf8, "[1, 2]"u8.ToArray());
        Assert.True(refused.TryGetError(out ProtocolError error));
        Assert.Equal(ErrorCode.InvalidRequest, error.Code);

        Assert.Equal(1, recorder.Count("framewire.errors", "code=" + error.WireCode));
        Assert.Equal(1, recorder.Sum("framewire.frames.sent", "engine=" + ConformanceEngines.FlagValue(engine)));
    }

    [Theory]
    [OnEveryEngine]
    public async Task Counts_limit_hits_by_code(ServerEngine engine)
    {
        byte[] large = new byte[48 * 1024];
        var handler = new LargeAnswers(large);
        using var recorder = new MetricsRecorder();
        await using RunningServer server = await RunningServer.StartAsync(handler, o =>
        {
            o.SendHighWater = 64 * 1024;
            o.SendLimit = 64 * 1024;
            o.MinDataRate = 100;
            o.MinDataRateGracePeriod = TimeSpan.FromMilliseconds(300);
        }, engine);

        // Content announced and never sent: nothing arrives, far below the minimum rate.
        await using RawClient stalled = await RawClient.ConnectAsync(server.EndPoint);
        byte[] frame = Frames.Binary(new byte[100]);
        await stalled.SendAsync(frame[..^100]);
        Assert.Contains("data_rate_too_low", await stalled.ReadJsonAsync(), StringComparison.Ordinal);

        // Large answers asked for and never read.
        using System.Net.Sockets.Socket hog = Endpoints.CreateSocket(server.EndPoint);
        hog.ReceiveBufferSize = 4096;
        await hog.ConnectAsync(server.EndPoint);
        byte[] batch = [.. Enumerable.Range(0, 50).SelectMany(_ => Frames.Binary("give"u8))];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(async () =>
        {
            while (true)
            {
                await hog.SendAsync(batch, System.Net.Sockets.SocketFlags.None, timeout.Token);
            }
        });

        await WaitUntil(() => recorder.Count("framewire.errors", "code=slow_consumer") > 0);
        Assert.Equal(1, recorder.Count("framewire.errors", "code=data_rate_too_low"));
        Assert.Equal(1, recorder.Count("framewire.errors", "code=slow_consumer"));
    }

    private sealed class LargeAnswers(byte[] answer) : IMessageHandler
    {
        public ValueTask HandleAsync(MessageContext context, CancellationToken cancellationToken)
        {
            context.Respond("binary/x", "binary", answer);
            return default;
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
    }
}
