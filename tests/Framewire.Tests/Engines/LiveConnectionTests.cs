using System.Buffers;
using System.Text;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>
/// <see cref="MessageServer.GetConnections"/> and <see cref="MessageServer.GetStatistics"/>: the live view of real
/// loopback connections, each in a different state, on every engine.
/// </summary>
public sealed class LiveConnectionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly byte[] Answer = Frames.Json("{\"result\": \"ok\"}");
    private static readonly byte[] Quick = Frames.Json("{\"action\": \"quick\"}");
    private static readonly byte[] Hold = Frames.Json("{\"action\": \"hold\"}");


    [Theory]
    [OnEveryEngine]
    public async Task Connections_show_peer_state_bytes_and_requests_in_flight(ServerEngine engine)
    {
        var handler = new HoldingHandler();
        await using RunningServer server = await RunningServer.StartAsync(handler, engine: engine);
        await using RawClient idle = await RawClient.ConnectAsync(server.EndPoint);
        await using RawClient reading = await RawClient.ConnectAsync(server.EndPoint);
        await using RawClient processing = await RawClient.ConnectAsync(server.EndPoint);

        for (int i = 0; i < 3; i++)
        {
            await idle.SendAsync(Quick);
            await idle.ReadFrameAsync();
        }

        byte[] half = Quick[..(Quick.Length / 2)];
        await reading.SendAsync(half);
        await processing.SendAsync(Hold);
        await handler.Holding.WaitAsync(Timeout);

        IReadOnlyList<ConnectionSnapshot> connections = await WaitForAsync(
            server.Server,
            all => all.Count == 3
                && Find(all, idle).State == ConnectionState.Idle
                && Find(all, reading).BytesReceived == half.Length
                && Find(all, processing).State == ConnectionState.Processing);

        ConnectionSnapshot first = Find(connections, idle);
        Assert.Equal(ConnectionState.Idle, first.State);
        Assert.Equal(3 * Quick.Length, first.BytesReceived);
        Assert.Equal(3 * Answer.Length, first.BytesSent);
        Assert.Equal(3, first.FramesReceived);
        Assert.Equal(3, first.FramesSent);
        Assert.Equal(0, first.RequestsInFlight);
        Assert.Equal(server.EndPoint, first.LocalEndPoint);
        Assert.InRange(first.ConnectedAt, DateTimeOffset.UtcNow - Timeout, DateTimeOffset.UtcNow);

        ConnectionSnapshot second = Find(connections, reading);
        Assert.Equal(ConnectionState.Reading, second.State);
        Assert.Equal(0, second.FramesReceived);

        ConnectionSnapshot third = Find(connections, processing);
        Assert.Equal(1, third.RequestsInFlight);
        Assert.Equal(1, third.FramesReceived);
        Assert.Equal(0, third.BytesSent);
        // Oldest first means in the order the server accepted them; with two loops accepting in parallel that need
        // not be the order the clients connected in.
        Assert.Equal(connections.Select(c => c.Id).Order(), connections.Select(c => c.Id));
        Assert.Equal(3, new[] { first.Id, second.Id, third.Id }.Distinct().Count());

        ServerStatistics statistics = server.Server.GetStatistics();
        Assert.Equal(engine, statistics.Engine);
        Assert.Equal(3, statistics.ActiveConnections);
        Assert.Equal(3, statistics.AcceptedConnections);
        Assert.Equal(4, statistics.FramesReceived);
        Assert.Equal(3, statistics.FramesSent);
        Assert.Equal((3 * Quick.Length) + half.Length + Hold.Length, statistics.BytesReceived);
        Assert.Equal(3 * Answer.Length, statistics.BytesSent);
        Assert.Empty(statistics.Errors);

        handler.Release();
        await processing.ReadFrameAsync();
        connections = await WaitForAsync(server.Server, all => all.Count == 3 && Find(all, processing).RequestsInFlight == 0 && Find(all, processing).State == ConnectionState.Idle);
        Assert.Equal(Answer.Length, Find(connections, processing).BytesSent);
    }

    [Theory]
    [OnEveryEngine]
    public async Task Closed_connections_leave_the_list_and_keep_their_counts(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(new HoldingHandler(), engine: engine);
        await using (RawClient client = await RawClient.ConnectAsync(server.EndPoint))
        {
            await client.SendAsync(Quick);
            await client.ReadFrameAsync();
        }

        await using (RawClient offender = await RawClient.ConnectAsync(server.EndPoint))
        {
            await offender.SendAsync(Frames.Raw("[1, 2, 3]", "abcd"u8));
            await offender.ReadFrameAsync();
        }

        await WaitForAsync(server.Server, all => all.Count == 0);
        ServerStatistics statistics = server.Server.GetStatistics();
        Assert.Equal(0, statistics.ActiveConnections);
        Assert.Equal(2, statistics.AcceptedConnections);
        Assert.Equal(1, statistics.FramesReceived);
        Assert.Equal(2, statistics.FramesSent);
        Assert.True(statistics.BytesSent > Answer.Length, $"{statistics.BytesSent} bytes sent");
        Assert.Equal(Quick.Length + Frames.Raw("[1, 2, 3]", "abcd"u8).Length, statistics.BytesReceived);
        Assert.Equal(1, Assert.Single(statistics.Errors, e => e.Key == ErrorCode.HeaderNotObject).Value);
    }

    private static ConnectionSnapshot Find(IReadOnlyList<ConnectionSnapshot> connections, RawClient client) =>
        connections.Single(c => Equals(c.RemoteEndPoint, client.Socket.LocalEndPoint));

    private static async Task<IReadOnlyList<ConnectionSnapshot>> WaitForAsync(MessageServer server, Func<IReadOnlyList<ConnectionSnapshot>, bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Timeout;
        IReadOnlyList<ConnectionSnapshot> connections;
        while (true)
        {
            connections = server.GetConnections();
            try
            {
                if (condition(connections))
                {
                    return connections;
                }
            }
            catch (InvalidOperationException)
            {
                // A client's connection is not listed yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("The connections never got there: " + string.Join("; ", connections.Select(c => $"{c.Id} {c.RemoteEndPoint} {c.State} in={c.BytesReceived} out={c.BytesSent}")));
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Answers <c>quick</c> at once and holds <c>hold</c> until released.</summary>
    private sealed class HoldingHandler : IMessageHandler
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Holding => _holding.Task;

        public void Release() => _release.TrySetResult();

        public async ValueTask HandleAsync(MessageContext context, CancellationToken cancellationToken)
        {
            if (Encoding.UTF8.GetString(context.Request.Content).Contains("hold", StringComparison.Ordinal))
            {
                _holding.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }

            context.RespondEncoded(Answer);
        }
    }
}
