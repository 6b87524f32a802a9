using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Framewire.Client;
using Framewire.Tests.Support;

namespace Framewire.Tests.Client;

/// <summary>The client's retry policy against real loopback servers that drop connections.</summary>
public class MessageClientRetryTests
{
    private static MessageClientOptions Retrying(int maxRetries = 3, int baseDelayMs = 20, int maxDelayMs = 200) => new()
    {
        Retry = new RetryPolicy
        {
            MaxRetries = maxRetries,
            BaseDelay = TimeSpan.FromMilliseconds(baseDelayMs),
            MaxDelay = TimeSpan.FromMilliseconds(maxDelayMs),
        },
    };

    private static Request Search(string value, bool idempotent) => Request.Json("search", value) with { Idempotent = idempotent };

    [Fact]
    public async Task IdempotentRequest_ConnectionDroppedAfterReadingIt_IsAnsweredOnAFreshConnection()
    {
        await using var server = new DroppingServer(connection => connection == 1);
        await using MessageClient client = await MessageClient.ConnectAsync("127.0.0.1", server.Port, Retrying());
        EndPoint? first = client.LocalEndPoint;

        Response response = await client.SendAsync(Search("ring", idempotent: true));

        Assert.Equal("ring", response.GetResultText());
        Assert.Equal(2, server.RequestsReceived);
        Assert.Equal(2, server.ConnectionsAccepted);
        Assert.NotEqual(first, client.LocalEndPoint);
    }

    [Fact]
    public async Task NonIdempotentRequest_ConnectionDropped_FailsClearlyAndIsNotSentTwice()
    {
        await using var server = new DroppingServer(connection => connection == 1);
        await using MessageClient client = await MessageClient.ConnectAsync("127.0.0.1", server.Port, Retrying());

        IOException e = await Assert.ThrowsAsync<IOException>(() => client.SendAsync(Search("ring", idempotent: false)));

        Assert.Contains("not idempotent", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.RequestsReceived);

        // The client itself recovers: the next request goes out on a fresh connection.
        Assert.Equal("next", (await client.SendAsync(Search("next", idempotent: false))).GetResultText());
        Assert.Equal(2, server.ConnectionsAccepted);
    }

    [Fact]
    public async Task ServerAlwaysDrops_GivesUpAfterMaxRetriesPlusOneAttempts()
    {
        await using var server = new DroppingServer(_ => true);
        await using MessageClient client = await MessageClient.ConnectAsync("127.0.0.1", server.Port, Retrying(maxRetries: 3));

        IOException e = await Assert.ThrowsAsync<IOException>(() => client.SearchAsync("ring"));

        Assert.Contains("failed 4 time(s)", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, server.RequestsReceived);
        Assert.Equal(4, server.ConnectionsAccepted);
    }

    [Fact]
    public async Task PipelinedIdempotentRequests_ConnectionDropped_AllAnsweredOnOneFreshConnection()
    {
        await using var server = new DroppingServer(connection => connection == 1);
        await using MessageClient client = await MessageClient.ConnectAsync("127.0.0.1", server.Port, Retrying());

        Response[] responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.SearchAsync("v" + i)));

        for (int i = 0; i < responses.Length; i++)
        {
            Assert.Equal("v" + i, responses[i].GetResultText());
        }

        Assert.Equal(2, server.ConnectionsAccepted);
    }

    [Fact]
    public async Task WithoutAPolicy_ADroppedConnectionFailsTheRequestAndStaysFailed()
    {
        await using var server = new DroppingServer(connection => connection == 1);
        await using MessageClient client = await MessageClient.ConnectAsync("127.0.0.1", server.Port);

        await Assert.ThrowsAsync<IOException>(() => client.SearchAsync("ring"));
        await Assert.ThrowsAsync<IOException>(() => client.SearchAsync("ring"));

        Assert.Equal(1, server.ConnectionsAccepted);
    }

    [Fact]
    public async Task CancellationDuringBackoff_EndsTheRetriesAtOnce()
    {
        await using var server = new DroppingServer(_ => true);
        await using MessageClient client = await MessageClient.ConnectAsync("127.0.0.1", server.Port, Retrying(maxRetries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000));
        using var cancel = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();

        Task<Response> request = client.SearchAsync("ring", cancel.Token);
        await Eventually.TrueAsync(() => server.RequestsReceived == 1);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"Cancellation took {watch.Elapsed}.");
        Assert.Equal(1, server.RequestsReceived);
    }

    [Fact]
    public async Task Connect_RefusedUntilTheServerListens_IsRetried()
    {
        int port = FreePort();
        var options = Retrying(maxRetries: 50, baseDelayMs: 20, maxDelayMs: 100);

        Task<MessageClient> connecting = MessageClient.ConnectAsync("127.0.0.1", port, options);
        await Task.Delay(300);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(1);

        await using MessageClient client = await connecting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(port, ((IPEndPoint)client.RemoteEndPoint!).Port);
    }

    [Fact]
    public async Task Connect_AlwaysRefused_FailsAfterTheRetries()
    {
        int port = FreePort();

        SocketException e = await Assert.ThrowsAsync<SocketException>(() => MessageClient.ConnectAsync("127.0.0.1", port, Retrying(maxRetries: 2)));

        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    [Fact]
    public void Backoff_GrowsExponentiallyWithJitterUpToTheMaximum()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) };
        for (int round = 0; round < 100; round++)
        {
            for (int retry = 1; retry <= 70; retry++)
            {
                double ceiling = Math.Min(1000, 100 * Math.Pow(2, retry - 1));
                double delay = policy.DelayBefore(retry).TotalMilliseconds;
                Assert.InRange(delay, ceiling / 2, ceiling);
            }
        }

        var distinct = new HashSet<TimeSpan>();
        for (int i = 0; i < 20; i++)
        {
            distinct.Add(policy.DelayBefore(3));
        }

        Assert.True(distinct.Count > 1, "The backoff has no jitter.");
    }

    [Fact]
    public void Policy_RefusesNegativeValues()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy { MaxRetries = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(-1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy { MaxDelay = TimeSpan.FromSeconds(-1) });
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
