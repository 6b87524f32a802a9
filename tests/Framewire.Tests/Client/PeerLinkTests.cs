using System.Net;
using System.Net.Sockets;
using System.Text;
using Framewire.Apps;
using Framewire.Client;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Client;

/// <summary>Peer links against real servers on loopback: requests, one-way frames, reconnects, timeouts and drops.</summary>
public sealed class PeerLinkTests
{
    private static readonly byte[] Morpheus = Encoding.UTF8.GetBytes("{\"action\": \"search\", \"value\": \"morpheus\"}");

    [Fact]
    public async Task RequestAsync_Server_Answers()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        await using PeerLink link = Link(server.Port);
        link.Start();

        Response response = await link.RequestAsync(ContentTypes.Json, ContentTypes.Utf8, Morpheus);

        Assert.Equal("Follow the white rabbit. \U0001f430", response.GetResultText());
        Assert.Equal(PeerLinkState.Connected, link.State);
        PeerLinkSnapshot snapshot = link.GetSnapshot();
        Assert.Equal("b", snapshot.Name);
        Assert.Equal(1, snapshot.Sent);
        Assert.NotNull(snapshot.ConnectedSince);
    }

    [Fact]
    public async Task TrySend_ToAnIngressQueue_ArrivesInOrder()
    {
        var queue = new IngressQueue(16);
        await using RunningServer server = await RunningServer.StartAsync(queue);
        await using PeerLink link = Link(server.Port, capacity: 100);
        link.Start();

        for (int i = 0; i < 100; i++)
        {
            Assert.True(link.TrySend("binary/test", "binary", Encoding.ASCII.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        for (int i = 0; i < 100; i++)
        {
            using IncomingMessage message = await queue.ReadAsync(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException("no message");
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(message.Content.Span));
            message.Reply("binary/ack", "binary", default);
        }

        await Eventually.TrueAsync(() => link.GetSnapshot() is { Sent: 100, Queued: 0 });
    }

    [Fact]
    public async Task TrySend_QueueFull_ReturnsFalse()
    {
        await using PeerLink link = Link(port: 9, capacity: 3);

        Assert.True(link.TrySend("binary/test", "binary", "1"u8.ToArray()));
        Assert.True(link.TrySend("binary/test", "binary", "2"u8.ToArray()));
        Assert.True(link.TrySend("binary/test", "binary", "3"u8.ToArray()));

        Assert.False(link.TrySend("binary/test", "binary", "4"u8.ToArray()));
        PeerLinkSnapshot snapshot = link.GetSnapshot();
        Assert.Equal(3, snapshot.Queued);
        Assert.Equal(1, snapshot.Failed);
        Assert.Equal(PeerLinkState.NotStarted, snapshot.State);
    }

    [Fact]
    public async Task RequestAsync_NoAnswer_TimesOut()
    {
        var queue = new IngressQueue(4);
        await using RunningServer server = await RunningServer.StartAsync(queue);
        await using PeerLink link = Link(server.Port, timeout: TimeSpan.FromMilliseconds(300));
        link.Start();

        var watch = System.Diagnostics.Stopwatch.StartNew();
        TimeoutException late = await Assert.ThrowsAsync<TimeoutException>(() => link.RequestAsync("binary/test", "binary", "x"u8.ToArray()));

        Assert.InRange(watch.ElapsedMilliseconds, 250, 5000);
        Assert.Contains("peer 'b'", late.Message, StringComparison.Ordinal);
        Assert.Equal(1, link.GetSnapshot().Failed);
        (await queue.ReadAsync(TimeSpan.FromSeconds(5)))?.Dispose();
    }

    [Fact]
    public async Task RequestAsync_ConnectionDrops_FailsWithTheReason()
    {
        // Reads one request and closes the connection unanswered.
        await using var server = new DroppingServer(drops: _ => true);
        await using PeerLink link = Link(server.Port);
        link.Start();

        IOException dropped = await Assert.ThrowsAsync<IOException>(() => link.RequestAsync(ContentTypes.Json, ContentTypes.Utf8, Morpheus));

        Assert.Contains("dropped before the answer", dropped.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.RequestsReceived);
    }

    [Fact]
    public async Task ServerRestarts_LinkReconnects()
    {
        RunningServer first = await RunningServer.StartAsync();
        int port = first.Port;
        await using PeerLink link = Link(port, backoff: TimeSpan.FromMilliseconds(20));
        link.Start();
        Assert.NotNull((await link.RequestAsync(ContentTypes.Json, ContentTypes.Utf8, Morpheus)).GetResultText());

        await first.DisposeAsync();
        await Eventually.TrueAsync(() => link.State == PeerLinkState.Disconnected || link.State == PeerLinkState.Connecting);

        // Queued while the peer is down, sent once it is back.
        Assert.True(link.TrySend(ContentTypes.Json, ContentTypes.Utf8, Morpheus));
        await using RunningServer second = await StartOnAsync(port);

        Response response = await link.RequestAsync(ContentTypes.Json, ContentTypes.Utf8, Morpheus);
        Assert.Equal("Follow the white rabbit. \U0001f430", response.GetResultText());
        PeerLinkSnapshot snapshot = link.GetSnapshot();
        Assert.Equal(PeerLinkState.Connected, snapshot.State);
        Assert.True(snapshot.Reconnects >= 1);
        Assert.Equal(3, snapshot.Sent);
        Assert.NotNull(snapshot.LastError);
    }

    [Fact]
    public async Task Dispose_QueuedRequests_FailAsDisposed()
    {
        PeerLink link = Link(port: 9);
        Task<Response> request = link.RequestAsync("binary/test", "binary", "x"u8.ToArray());

        await link.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => request);
        Assert.Equal(PeerLinkState.Closed, link.State);
        Assert.False(link.TrySend("binary/test", "binary", "y"u8.ToArray()));
    }

    [Fact]
    public void Options_Invalid_RefusedWithTheRule()
    {
        var refused = Assert.Throws<OptionOutOfRangeException>(() => new PeerLink(new PeerLinkOptions { Name = "b", Host = "127.0.0.1", Port = 1, QueueCapacity = 0 }));
        Assert.Equal("QueueCapacity is 0; it must be at least 1.", refused.Message);

        Assert.Throws<OptionOutOfRangeException>(() => new PeerLink(new PeerLinkOptions { Host = "127.0.0.1", Port = 1 }));
        Assert.Throws<OptionOutOfRangeException>(() => new PeerLink(new PeerLinkOptions { Name = "b" }));
        Assert.Throws<OptionOutOfRangeException>(() => new PeerLink(new PeerLinkOptions { Name = "b", Host = "127.0.0.1", Port = 1, RequestTimeout = TimeSpan.Zero }));
    }

    private static PeerLink Link(int port, int capacity = 64, TimeSpan? timeout = null, TimeSpan? backoff = null) => new(new PeerLinkOptions
    {
        Name = "b",
        EndPoint = new IPEndPoint(IPAddress.Loopback, port),
        QueueCapacity = capacity,
        RequestTimeout = timeout ?? TimeSpan.FromSeconds(10),
        Reconnect = new RetryPolicy { BaseDelay = backoff ?? TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) },
    });

    /// <summary>A server on the port a stopped one had; the port may take a moment to be free again.</summary>
    private static async Task<RunningServer> StartOnAsync(int port)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await RunningServer.StartAsync(configure: options => options.EndPoint = new IPEndPoint(IPAddress.Loopback, port));
            }
            catch (SocketException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }
}
