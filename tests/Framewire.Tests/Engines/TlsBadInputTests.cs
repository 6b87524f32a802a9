using System.Net.Sockets;
using Framewire.Engines;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>
/// Misbehaving clients of a TLS server, on every engine: broken handshakes and records, resets, a client that never
/// reads (the bad-input matrix's rows inside TLS are in <see cref="BadInputTests"/>). Each is closed or answered as
/// on a plain socket, its connection is forgotten, and a client beside it is still served.
/// </summary>
public sealed class TlsBadInputTests : IDisposable
{
    private const string Search = "{\"action\": \"search\", \"value\": \"ring\"}";
    private readonly TestCertificates _certificates = TestCertificates.Create();

    public void Dispose() => _certificates.Dispose();

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task PipelinedRequests_InOneWrite_AllAnsweredInOrder(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine);
        await using RawClient client = await RawClient.ConnectTlsAsync(server.EndPoint, _certificates.CaPath);
        string[] values = ["ring", "morpheus", "nothing"];
        byte[] burst = [.. Enumerable.Range(0, 600).SelectMany(i => Frames.Json($"{{\"action\": \"search\", \"value\": \"{values[i % 3]}\"}}"))];

        await client.SendAsync(burst);

        for (int i = 0; i < 600; i++)
        {
            string answer = await client.ReadJsonAsync();
            string expected = (i % 3) switch { 0 => "Misty Mountains", 1 => "white rabbit", _ => "No match" };
            Assert.True(answer.Contains(expected, StringComparison.Ordinal), $"answer {i}: {answer}");
        }
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task LargeEcho_BothWays_ComesBackWhole(ServerEngine engine)
    {
        // Records split across reads, output beyond one record and beyond the socket buffers, in both directions.
        await using RunningServer server = await RunningServer.StartEchoAsync(o => o.Tls = ServerTls(), engine);
        await using RawClient client = await RawClient.ConnectTlsAsync(server.EndPoint, _certificates.CaPath);
        var sent = new byte[3 * 1024 * 1024 + 17];
        new Random(11).NextBytes(sent);

        Task sending = client.SendAsync(sent);
        byte[] echoed = await client.ReadBytesAsync(sent.Length, TimeSpan.FromSeconds(30));
        await sending;

        Assert.True(sent.AsSpan().SequenceEqual(echoed), "the echo is byte for byte what was sent");
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task GarbageClientHello_Closed_NeighbourServed(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine);
        await using RawClient offender = await RawClient.ConnectAsync(server.EndPoint);
        var hello = new byte[5 + 200];
        new Random(3).NextBytes(hello);
        hello[0] = 0x16;
        hello[1] = 0x03;
        hello[2] = 0x01;
        hello[3] = 0x00;
        hello[4] = 200;

        await offender.Socket.SendAsync(hello, SocketFlags.None);

        Assert.True(await offender.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
        await AssertNeighbourServedAsync(server);
        await Eventually.TrueAsync(() => server.Server.ConnectionCount == 0);
        AssertClosedFor(server, CloseReason.HandshakeFailed);
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task ResetMidHandshake_Forgotten_NeighbourServed(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine);
        using (Socket offender = Endpoints.CreateSocket(server.EndPoint))
        {
            await offender.ConnectAsync(server.EndPoint);
            await offender.SendAsync(new byte[] { 0x16, 0x03, 0x01, 0x01, 0x00, 0x01, 0x00 }, SocketFlags.None);
            await Eventually.TrueAsync(() => server.Server.ConnectionCount == 1);

            // A zero linger turns the close into a reset.
            offender.LingerState = new LingerOption(true, 0);
        }

        await Eventually.TrueAsync(() => server.Server.ConnectionCount == 0);
        AssertClosedFor(server, CloseReason.HandshakeFailed, CloseReason.ReceiveFailed, CloseReason.ClosedByPeer);
        await AssertNeighbourServedAsync(server);
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task ClientClosesMidRecord_Forgotten_NeighbourServed(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine);
        CapturingStream? capture = null;
        await using (RawClient offender = await RawClient.ConnectTlsAsync(server.EndPoint, _certificates.CaPath, inner => capture = new CapturingStream(inner)))
        {
            // The request's ciphertext is held back; only its first half reaches the server, then the FIN.
            capture!.Hold = true;
            await offender.SendAsync(Frames.Json(Search));
            byte[] record = capture.TakeHeld();
            Assert.True(record.Length > 10);
            await offender.Socket.SendAsync(record.AsMemory(0, record.Length / 2), SocketFlags.None);
            offender.Socket.Shutdown(SocketShutdown.Send);

            Assert.True(await offender.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
        }

        await Eventually.TrueAsync(() => server.Server.ConnectionCount == 0);
        AssertClosedFor(server, CloseReason.ReceiveFailed, CloseReason.ClosedByPeer);
        await AssertNeighbourServedAsync(server);
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task ClientThatNeverReads_CutAsSlowConsumer_NeighbourServed(ServerEngine engine)
    {
        await using RunningServer server = await StartAsync(engine, o =>
        {
            o.SendHighWater = 64 * 1024;
            o.SendLimit = 64 * 1024;
            o.MinDataRate = 1024;
            o.MinDataRateGracePeriod = TimeSpan.FromSeconds(1);
        });
        await using RawClient hog = await RawClient.ConnectTlsAsync(server.EndPoint, _certificates.CaPath, beforeConnect: s => s.ReceiveBufferSize = 4096);
        byte[] batch = [.. Enumerable.Range(0, 50).SelectMany(_ => Frames.Json(Search))];

        bool cut = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (!timeout.IsCancellationRequested)
            {
                await hog.SendAsync(batch).WaitAsync(timeout.Token);
            }
        }
        catch (IOException)
        {
            cut = true;
        }

        Assert.True(cut, "the client that never reads was cut");
        await Eventually.TrueAsync(() => server.Server.ConnectionCount == 0);
        AssertClosedFor(server, CloseReason.SlowConsumer);
        await AssertNeighbourServedAsync(server);
    }

    [Theory]
    [OnEveryEngine(Tls = true)]
    public async Task Stop_IdleAndBusyTlsClients_BusyAnsweredThenAllClosed(ServerEngine engine)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler(async context =>
        {
            started.TrySetResult();
            await release.Task;
            context.Respond("binary/x", "binary", "done"u8);
        });
        RunningServer server = await RunningServer.StartAsync(handler, o => o.Tls = ServerTls(), engine);
        await using RawClient idle = await RawClient.ConnectTlsAsync(server.EndPoint, _certificates.CaPath);
        await using RawClient busy = await RawClient.ConnectTlsAsync(server.EndPoint, _certificates.CaPath);
        await busy.SendAsync(Frames.Binary("work"u8));
        await started.Task;

        Task stopping = server.Server.StopAsync();
        Assert.True(await idle.IsClosedByServerAsync(TimeSpan.FromSeconds(5)), "the idle client is closed at once");
        release.SetResult();

        Assert.Equal("done"u8.ToArray(), (await busy.ReadFrameAsync()).Content);
        Assert.True(await busy.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, server.Server.ConnectionCount);
        await server.DisposeAsync();
    }

    /// <summary>The offender's close was counted under one of <paramref name="reasons"/>.</summary>
    private static void AssertClosedFor(RunningServer server, params CloseReason[] reasons)
    {
        IReadOnlyDictionary<CloseReason, long> closes = server.Server.GetStatistics().Closes;
        Assert.True(reasons.Any(closes.ContainsKey), "closes counted: " + string.Join(", ", closes.Select(c => $"{c.Key} {c.Value}")));
    }

    private async Task AssertNeighbourServedAsync(RunningServer server)
    {
        await using RawClient neighbour = await RawClient.ConnectTlsAsync(server.EndPoint, _certificates.CaPath);
        await neighbour.SendAsync(Frames.Json(Search));
        Assert.Contains("Misty Mountains", await neighbour.ReadJsonAsync(), StringComparison.Ordinal);
    }

    private Task<RunningServer> StartAsync(ServerEngine engine, Action<MessageServerOptions>? configure = null) =>
        RunningServer.StartAsync(engine: engine, configure: options =>
        {
            options.Tls = ServerTls();
            configure?.Invoke(options);
        });

    private TlsServerOptions ServerTls() => TlsServerOptions.FromPemFiles(_certificates.ServerCertPath, _certificates.ServerKeyPath);
}
