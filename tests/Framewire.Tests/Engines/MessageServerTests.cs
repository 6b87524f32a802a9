using System.Net;
using System.Net.Sockets;
using System.Text;
using Framewire.Apps;
using Framewire.Client;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>Part of the engine-conformance suite: every test runs on every engine in <see cref="Conformance.ConformanceEngines"/>.</summary>
public sealed class MessageServerTests
{

    [Theory]
    [OnEveryEngine]
    public async Task Search_TutorialKeys_AnsweredAsThePythonServerDoes(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"morpheus\"}"));
        Assert.Equal("{\"result\": \"Follow the white rabbit. \U0001f430\"}", await client.ReadJsonAsync());

        await client.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"\U0001f436\"}"));
        Assert.Equal("{\"result\": \"\U0001f43e Playing ball! \U0001f3d0\"}", await client.ReadJsonAsync());

        await client.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"neo\"}"));
        Assert.Equal("{\"result\": \"No match for 'neo'.\"}", await client.ReadJsonAsync());
    }

    [Theory]
    [OnEveryEngine("{\"action\": \"find\", \"value\": \"x\"}", "{\"result\": \"Error: invalid action 'find'.\"}")]
    [OnEveryEngine("{\"value\": \"x\"}", "{\"result\": \"Error: invalid action 'None'.\"}")]
    [OnEveryEngine("{\"action\": 5}", "{\"result\": \"Error: invalid action '5'.\"}")]
    [OnEveryEngine("{\"action\": \"search\"}", "{\"result\": \"No match for 'None'.\"}")]
    [OnEveryEngine("{\"action\": \"search\", \"value\": true}", "{\"result\": \"No match for 'True'.\"}")]
    [OnEveryEngine("{\"action\": \"search\", \"value\": \"ring\", \"value\": \"a\\\"b\"}", "{\"result\": \"No match for 'a\\\"b'.\"}")]
    [OnEveryEngine("{\"action\": \"search\", \"value\": \"r\\u0069ng\"}", "{\"result\": \"In the caves beneath the Misty Mountains. \U0001f48d\"}")]
    public async Task Search_EdgeCases_AnsweredAsPythonWould(ServerEngine engine, string request, string expected)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Frames.Json(request));

        Assert.Equal(expected, await client.ReadJsonAsync());
    }

    [Theory]
    [OnEveryEngine]
    public async Task Binary_Request_AnsweredWithFirstTenBytes(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Frames.Binary("helloworld and more"u8));
        (FrameHeader header, byte[] content) = await client.ReadFrameAsync();

        Assert.Equal("binary/custom-server-binary-type", header.ContentType);
        Assert.Equal("binary", header.ContentEncoding);
        Assert.Equal("First 10 bytes of request: helloworld"u8.ToArray(), content);
    }

    [Theory]
    [OnEveryEngine]
    public async Task Pipelined_Requests_AnsweredInOrder(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        var burst = new List<byte>();
        for (int i = 0; i < 1000; i++)
        {
            burst.AddRange(i % 3 == 0
                ? Frames.Binary(Encoding.ASCII.GetBytes($"n{i:D5}"))
                : Frames.Json($"{{\"action\": \"search\", \"value\": \"k{i}\"}}"));
        }

        await client.SendAsync([.. burst]);

        for (int i = 0; i < 1000; i++)
        {
            (FrameHeader header, byte[] content) = await client.ReadFrameAsync();
            string expected = i % 3 == 0 ? $"First 10 bytes of request: n{i:D5}" : $"{{\"result\": \"No match for 'k{i}'.\"}}";
            Assert.Equal(expected, Encoding.UTF8.GetString(content));
        }
    }

    [Theory]
    [OnEveryEngine]
    public async Task ProtocolError_AnsweredThenClosed_OtherClientUnaffected(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient bystander = await RawClient.ConnectAsync(server.EndPoint);
        await using RawClient offender = await RawClient.ConnectAsync(server.EndPoint);

        await offender.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        string error = await offender.ReadJsonAsync();

        Assert.Contains("\"code\": \"header_too_large\"", error, StringComparison.Ordinal);
        Assert.StartsWith("{\"result\": \"Error: ", error, StringComparison.Ordinal);
        Assert.True(await offender.IsClosedByServerAsync());

        await bystander.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"ring\"}"));
        Assert.Contains("Misty Mountains", await bystander.ReadJsonAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [OnEveryEngine("{\"action\": \"search\", \"value\": \"ring\"}", "klingon", "unsupported_encoding")]
    [OnEveryEngine("{\"action\": \"search\", ", "utf-8", "content_not_json")]
    [OnEveryEngine("[\"search\", \"ring\"]", "utf-8", "invalid_request")]
    public async Task ApplicationError_AnsweredAndConnectionKept(ServerEngine engine, string content, string encoding, string code)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Frames.Json(content, encoding));
        string error = await client.ReadJsonAsync();
        Assert.Contains($"\"code\": \"{code}\"", error, StringComparison.Ordinal);

        await client.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"ring\"}"));
        Assert.Contains("Misty Mountains", await client.ReadJsonAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [OnEveryEngine]
    public async Task InvalidUtf8Content_IsContentNotJson(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        byte[] header = Encoding.UTF8.GetBytes("{\"byteorder\": \"little\", \"content-type\": \"text/json\", \"content-encoding\": \"utf-8\", \"content-length\": 4}");

        await client.SendAsync(Frames.Raw(header, [(byte)'"', 0xFF, 0xFE, (byte)'"']));

        Assert.Contains("\"code\": \"content_not_json\"", await client.ReadJsonAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [OnEveryEngine("utf-16")]
    [OnEveryEngine("utf-16-le")]
    [OnEveryEngine("UTF-16BE")]
    [OnEveryEngine("latin-1")]
    [OnEveryEngine("ascii")]
    public async Task JsonContent_InOtherEncodings_IsDecoded(ServerEngine engine, string encoding)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        const string Request = "{\"action\": \"search\", \"value\": \"morpheus\"}";
        byte[] content = encoding.ToUpperInvariant() switch
        {
            "UTF-16" => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(Request)],
            "UTF-16-LE" => Encoding.Unicode.GetBytes(Request),
            "UTF-16BE" => Encoding.BigEndianUnicode.GetBytes(Request),
            _ => Encoding.Latin1.GetBytes(Request),
        };

        await client.SendAsync(Frames.Raw($"{{\"byteorder\": \"little\", \"content-type\": \"text/json\", \"content-encoding\": \"{encoding}\", \"content-length\": {content.Length}}}", content));

        Assert.Equal("{\"result\": \"Follow the white rabbit. \U0001f430\"}", await client.ReadJsonAsync());
    }

    [Theory]
    [OnEveryEngine]
    public async Task HalfCloseAfterRequest_ResponseStillDelivered(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"ring\"}"));
        client.Socket.Shutdown(SocketShutdown.Send);

        Assert.Contains("Misty Mountains", await client.ReadJsonAsync(), StringComparison.Ordinal);
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [OnEveryEngine]
    public async Task HalfCloseMidFrame_AnsweredWithFrameTruncated(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        byte[] frame = Frames.Json("{\"action\": \"search\", \"value\": \"ring\"}");

        await client.SendAsync(frame[..(frame.Length - 5)]);
        client.Socket.Shutdown(SocketShutdown.Send);

        Assert.Contains("\"code\": \"frame_truncated\"", await client.ReadJsonAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [OnEveryEngine]
    public async Task HandlerThrows_InternalErrorAndConnectionKept(ServerEngine engine)
    {
        var handler = new DelegateHandler(context =>
        {
            if (context.Request.Content.Length == 1)
            {
                throw new InvalidOperationException("boom with secrets");
            }

            context.Respond("binary/x", "binary", "ok"u8);
            return ValueTask.CompletedTask;
        });
        await using RunningServer server = await RunningServer.StartAsync(handler, engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Frames.Binary("x"u8));
        string error = await client.ReadJsonAsync();
        Assert.Contains("\"code\": \"internal_error\"", error, StringComparison.Ordinal);
        Assert.DoesNotContain("secrets", error, StringComparison.Ordinal);

        await client.SendAsync(Frames.Binary("xy"u8));
        Assert.Equal("ok"u8.ToArray(), (await client.ReadFrameAsync()).Content);
    }

    [Theory]
    [OnEveryEngine]
    public async Task AsyncHandler_PipelinedRequests_AnsweredInOrder(ServerEngine engine)
    {
        var handler = new DelegateHandler(async context =>
        {
            byte[] content = System.Buffers.BuffersExtensions.ToArray(context.Request.Content);
            await Task.Delay(content[0] % 3);
            context.Respond("binary/x", "binary", content);
        });
        await using RunningServer server = await RunningServer.StartAsync(handler, engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        var burst = new List<byte>();
        for (byte i = 0; i < 50; i++)
        {
            burst.AddRange(Frames.Binary([i]));
        }

        await client.SendAsync([.. burst]);
        for (byte i = 0; i < 50; i++)
        {
            Assert.Equal(new[] { i }, (await client.ReadFrameAsync()).Content);
        }
    }

    [Theory]
    [OnEveryEngine]
    public async Task Ipv6Loopback_Served(ServerEngine engine)
    {
        if (!Socket.OSSupportsIPv6)
        {
            return;
        }

        await using RunningServer server = await RunningServer.StartAsync(configure: o => o.EndPoint = new IPEndPoint(IPAddress.IPv6Loopback, 0), engine: engine);
        await using MessageClient client = await MessageClient.ConnectAsync(server.EndPoint);

        Response response = await client.SearchAsync("ring");

        Assert.Contains("Misty", response.GetResultText(), StringComparison.Ordinal);
    }

    [Theory]
    [OnEveryEngine]
    public async Task UnixDomainSocket_Served(ServerEngine engine)
    {
        string path = Path.Combine(Path.GetTempPath(), $"fw-{Guid.NewGuid():N}.sock");
        await using (RunningServer server = await RunningServer.StartAsync(configure: o => o.EndPoint = Endpoints.Parse("unix:" + path, 0), engine: engine))
        {
            await using MessageClient client = await MessageClient.ConnectAsync("unix:" + path, 0);
            Response response = await client.SearchAsync("morpheus");
            Assert.Equal("Follow the white rabbit. \U0001f430", response.GetResultText());
        }

        Assert.False(File.Exists(path), "the socket file is removed on stop");
    }

    [Theory]
    [OnEveryEngine]
    public async Task Stop_InFlightRequestAnsweredBeforeClose(ServerEngine engine)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler(async context =>
        {
            started.TrySetResult();
            await Task.Delay(300);
            context.Respond("binary/x", "binary", "done"u8);
        });
        RunningServer server = await RunningServer.StartAsync(handler, engine: engine);
        await using RawClient busy = await RawClient.ConnectAsync(server.EndPoint);
        await using RawClient idle = await RawClient.ConnectAsync(server.EndPoint);
        await busy.SendAsync(Frames.Binary("work"u8));
        await started.Task;

        Task stopping = server.Server.StopAsync();

        Assert.Equal("done"u8.ToArray(), (await busy.ReadFrameAsync()).Content);
        Assert.True(await busy.IsClosedByServerAsync());
        Assert.True(await idle.IsClosedByServerAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, server.Server.ConnectionCount);
        await Assert.ThrowsAnyAsync<SocketException>(() => RawClient.ConnectAsync(server.EndPoint));
    }

    [Theory]
    [OnEveryEngine]
    public async Task Stop_UnderLoad_EverySentRequestAnswered(ServerEngine engine)
    {
        int handled = 0;
        var handler = new DelegateHandler(context =>
        {
            // A slow handler keeps requests waiting in the sockets' receive queues when the stop comes.
            Thread.Sleep(1);
            Interlocked.Increment(ref handled);
            context.Respond("binary/x", "binary", "ok"u8);
            return ValueTask.CompletedTask;
        });
        RunningServer server = await RunningServer.StartAsync(handler, engine: engine);
        byte[] batch = [.. Enumerable.Range(0, 8).SelectMany(i => Frames.Binary("request"u8))];
        int stopRequested = 0;

        async Task<(int Sent, int Answered)> ClientAsync()
        {
            await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
            int sentBeforeStop = 0;
            int answered = 0;
            try
            {
                while (true)
                {
                    // Batches keep going until the server closes: the stop lands in the middle of the traffic.
                    await client.SendAsync(batch);
                    if (Volatile.Read(ref stopRequested) == 0)
                    {
                        sentBeforeStop += 8;
                    }

                    for (int i = 0; i < 8; i++)
                    {
                        (FrameHeader header, _) = await client.ReadFrameAsync(TimeSpan.FromSeconds(10));
                        if (header.ContentType != "binary/x")
                        {
                            // A request cut short by the stop is refused with an error frame; it was never handled.
                            return (sentBeforeStop, answered);
                        }

                        answered++;
                    }
                }
            }
            catch (Exception e) when (e is EndOfStreamException or SocketException or IOException)
            {
                return (sentBeforeStop, answered);
            }
        }

        Task<(int Sent, int Answered)>[] clients = [.. Enumerable.Range(0, 16).Select(_ => Task.Run(ClientAsync))];
        await Task.Delay(300);

        // On loopback a completed send has reached the server's receive queue: what was sent before this is owed an answer.
        Volatile.Write(ref stopRequested, 1);
        await server.Server.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));
        (int Sent, int Answered)[] results = await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(results.Sum(r => r.Answered) > 0, "the clients were served before the stop");
        foreach ((int sent, int answered) in results)
        {
            Assert.True(answered >= sent, $"{sent} request(s) sent before the stop, {answered} answered");
        }

        Assert.Equal(Volatile.Read(ref handled), results.Sum(r => r.Answered));
        Assert.Equal(0, server.Server.ConnectionCount);
    }

    [Theory]
    [OnEveryEngine]
    public async Task Stop_RequestsHeldUntilStopBegan_EveryOneAnswered(ServerEngine engine)
    {
        // When the stop reaches the connections, some have a handler holding a request (and more read behind it),
        // others have answers the client has not read yet and requests held back by backpressure. A server that
        // closed any of them at the stop instead of draining them would lose answers. Stop_UnderLoad alone cannot
        // tell: an event loop answers what is ready on its sockets before it runs the posted stop.
        const int Held = 4;
        const int PerHeld = 3;
        const int Backlogged = 2;
        const int PerBacklogged = 128;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int held = 0;
        var handler = new DelegateHandler(async context =>
        {
            byte[] content = System.Buffers.BuffersExtensions.ToArray(context.Request.Content);
            if (content[0] == (byte)'L')
            {
                // Connections are handled in parallel: each answer gets its own buffer.
                byte[] large = new byte[64 * 1024];
                content.CopyTo(large.AsSpan());
                context.Respond("binary/x", "binary", large);
                return;
            }

            Interlocked.Increment(ref held);
            await gate.Task;
            context.Respond("binary/x", "binary", content);
        });

        // One loop: the idle probe's close then shows that the stop has reached every connection.
        RunningServer server = await RunningServer.StartAsync(handler, o => { o.Loops = 1; o.ShutdownTimeout = TimeSpan.FromSeconds(60); }, engine);
        var clients = new List<RawClient>();
        try
        {
            for (int c = 0; c < Held; c++)
            {
                RawClient client = await RawClient.ConnectAsync(server.EndPoint);
                clients.Add(client);
                await client.SendAsync([.. Enumerable.Range(0, PerHeld).SelectMany(i => Frames.Binary(Encoding.ASCII.GetBytes($"H{c}-{i}")))]);
            }

            var backlogged = new List<RawClient>();
            for (int c = 0; c < Backlogged; c++)
            {
                // A small receive window, so the answers back up in the server rather than in this socket.
                Socket socket = Endpoints.CreateSocket(server.EndPoint);
                socket.ReceiveBufferSize = 4096;
                RawClient client = RawClient.Wrap(socket);
                clients.Add(client);
                backlogged.Add(client);
                await socket.ConnectAsync(server.EndPoint);
                byte[] requests = [.. Enumerable.Range(0, PerBacklogged).SelectMany(i => Frames.Binary(Encoding.ASCII.GetBytes($"L{c}-{i:D3}")))];
                await socket.SendAsync(requests, SocketFlags.None);
            }

            await using RawClient probe = await RawClient.ConnectAsync(server.EndPoint);
            await Eventually.TrueAsync(() => Volatile.Read(ref held) == Held && server.Server.ConnectionCount == Held + Backlogged + 1, TimeSpan.FromSeconds(5));

            Task stopping = server.Server.StopAsync();
            Assert.True(await probe.IsClosedByServerAsync(TimeSpan.FromSeconds(20)), "the stop closed the idle connection");
            Assert.Equal(Held, Volatile.Read(ref held));
            gate.SetResult();

            for (int c = 0; c < Held; c++)
            {
                for (int i = 0; i < PerHeld; i++)
                {
                    (FrameHeader header, byte[] content) = await clients[c].ReadFrameAsync(TimeSpan.FromSeconds(20));
                    Assert.Equal("binary/x", header.ContentType);
                    Assert.Equal($"H{c}-{i}", Encoding.ASCII.GetString(content));
                }

                Assert.True(await clients[c].IsClosedByServerAsync(), "closed once its requests are answered");
            }

            for (int c = 0; c < Backlogged; c++)
            {
                for (int i = 0; i < PerBacklogged; i++)
                {
                    (_, byte[] content) = await backlogged[c].ReadFrameAsync(TimeSpan.FromSeconds(20));
                    Assert.Equal($"L{c}-{i:D3}", Encoding.ASCII.GetString(content, 0, 6));
                }

                Assert.True(await backlogged[c].IsClosedByServerAsync(), "closed once its requests are answered");
            }

            await stopping.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(0, server.Server.ConnectionCount);
        }
        finally
        {
            gate.TrySetResult();
            foreach (RawClient client in clients)
            {
                await client.DisposeAsync();
            }

            await server.DisposeAsync();
        }
    }

    [Theory]
    [OnEveryEngine]
    public async Task Stop_ConnectionsPastTimeout_Aborted(ServerEngine engine)
    {
        var handler = new DelegateHandler(async context =>
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
            context.Respond("binary/x", "binary", "late"u8);
        });
        RunningServer server = await RunningServer.StartAsync(handler, o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300), engine: engine);
        await using RawClient stuck = await RawClient.ConnectAsync(server.EndPoint);
        await stuck.SendAsync(Frames.Binary("x"u8));
        await Task.Delay(100);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Task stopping = server.Server.StopAsync();
        Assert.True(await stuck.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        _ = stopping;
    }

    [Theory]
    [OnEveryEngine]
    public async Task Echo_LargePayload_ReturnedIntact(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartEchoAsync(engine: engine);
        using Socket socket = Endpoints.CreateSocket(server.EndPoint);
        await socket.ConnectAsync(server.EndPoint);
        byte[] payload = new byte[1 << 20];
        new Random(3).NextBytes(payload);

        Task send = socket.SendAsync(payload, SocketFlags.None);
        byte[] back = await ReceiveExactlyAsync(socket, payload.Length);

        await send;
        Assert.Equal(payload, back);
    }

    /// <summary>
    /// The client stops reading while it sends, so the socket takes only part of what is echoed: what is sent straight
    /// from the read buffer and what waits in the output must still come back in order, and be counted once each.
    /// </summary>
    [Theory]
    [OnEveryEngine]
    public async Task Echo_ClientReadsLate_ReturnedInOrderAndCountedOnce(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartEchoAsync(engine: engine);
        using Socket socket = Endpoints.CreateSocket(server.EndPoint);
        await socket.ConnectAsync(server.EndPoint);
        byte[] payload = new byte[4 << 20];
        new Random(5).NextBytes(payload);

        Task send = Task.Run(async () =>
        {
            for (int at = 0; at < payload.Length; at += 16 * 1024)
            {
                await socket.SendAsync(payload.AsMemory(at, 16 * 1024), SocketFlags.None);
            }
        });
        await Task.Delay(300);
        byte[] back = await ReceiveExactlyAsync(socket, payload.Length);

        await send;
        Assert.Equal(payload, back);
        await Eventually.TrueAsync(() => server.Server.GetStatistics().BytesSent == payload.Length, TimeSpan.FromSeconds(5));
        Assert.Equal(payload.Length, server.Server.GetStatistics().BytesReceived);
        Assert.Equal(0, server.Server.GetConnections().Single().BytesSent - payload.Length);
    }

    [Theory]
    [OnEveryEngine]
    public async Task IdleTimeout_IdleConnectionClosed_ActiveOneKept(ServerEngine engine)
    {
        // A full second: on a loaded 2-core machine the active client's thread can be kept off the CPU for hundreds
        // of milliseconds, which a shorter timeout would take for idleness.
        await using RunningServer server = await RunningServer.StartAsync(configure: o => o.IdleTimeout = TimeSpan.FromSeconds(1), engine: engine);
        await using RawClient idle = await RawClient.ConnectAsync(server.EndPoint);
        using Socket active = Endpoints.CreateSocket(server.EndPoint);
        await active.ConnectAsync(server.EndPoint);
        Task<bool> idleClosed = idle.IsClosedByServerAsync(TimeSpan.FromSeconds(8));

        // Busy for three idle timeouts, a request every 50 ms, on a thread of its own with blocking calls, so that
        // a busy thread pool cannot make the active client look idle.
        byte[] request = Frames.Binary("x"u8);
        var expected = new System.Buffers.ArrayBufferWriter<byte>();
        FrameEncoder.Write(expected, ContentTypes.ServerBinary, "binary", "First 10 bytes of request: x"u8);
        int exchanges = 0;
        Exception? failure = null;
        var client = new Thread(() =>
        {
            try
            {
                active.Blocking = true;
                active.ReceiveTimeout = 5000;
                var watch = System.Diagnostics.Stopwatch.StartNew();
                byte[] response = new byte[expected.WrittenCount];
                while (watch.Elapsed < TimeSpan.FromSeconds(3))
                {
                    active.Send(request);
                    int total = 0;
                    while (total < response.Length)
                    {
                        int n = active.Receive(response, total, response.Length - total, SocketFlags.None);
                        Assert.NotEqual(0, n);
                        total += n;
                    }

                    Assert.Equal(expected.WrittenSpan.ToArray(), response);
                    exchanges++;
                    Thread.Sleep(50);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        client.Start();
        await Task.Run(client.Join);

        Assert.Null(failure);
        // Not a count: on a small machine a starved thread pool can hold the async engine's answers for a while.
        Assert.True(exchanges > 0, "the active client was answered");
        Assert.True(await idleClosed, "the idle connection is closed");
        active.Send(request);
        Assert.True(active.Receive(new byte[1]) == 1, "the active connection is still served");

        // The server lingers for our FIN before it lets go of the closed one.
        await idle.DisposeAsync();
        await Eventually.TrueAsync(() => server.Server.ConnectionCount == 1, TimeSpan.FromSeconds(5));
    }

    [Theory]
    [OnEveryEngine]
    public async Task IdleTimeout_NotBeforeItsTime(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartEchoAsync(o => o.IdleTimeout = TimeSpan.FromMilliseconds(500), engine: engine);
        await using RawClient idle = await RawClient.ConnectAsync(server.EndPoint);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        Assert.True(await idle.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));
        // The server's clock starts at its accept, a little before ours: some slack below, a sweep's worth above.
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(3));
    }

    [Theory]
    [OnEveryEngine]
    public async Task FrameTimeout_SlowlorisHeader_AnsweredWithFrameTimeoutThenClosed(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(configure: o => o.FrameTimeout = TimeSpan.FromMilliseconds(300), engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);
        byte[] frame = Frames.Json("{\"action\": \"search\", \"value\": \"ring\"}");

        // A whole frame in time is served, then the next header is dribbled a byte every 50 ms: never idle, always late.
        await client.SendAsync(frame);
        Assert.Contains("Misty Mountains", await client.ReadJsonAsync(), StringComparison.Ordinal);
        using var stop = new CancellationTokenSource();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Task dribble = Task.Run(async () =>
        {
            try
            {
                foreach (byte b in frame)
                {
                    await client.Socket.SendAsync(new[] { b }, SocketFlags.None, stop.Token);
                    await Task.Delay(50, stop.Token);
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // The server closed, as it should.
            }
        });

        string error = await client.ReadJsonAsync();
        await stop.CancelAsync();
        await dribble;

        Assert.Contains("\"code\": \"frame_timeout\"", error, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [OnEveryEngine]
    public async Task MaxConnections_FloodAnsweredWithServerBusy_FirstTwoStillServed(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(configure: o => o.MaxConnections = 2, engine: engine);
        await using RawClient first = await RawClient.ConnectAsync(server.EndPoint);
        await using RawClient second = await RawClient.ConnectAsync(server.EndPoint);
        foreach (RawClient client in new[] { first, second })
        {
            await client.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"ring\"}"));
            Assert.Contains("Misty Mountains", await client.ReadJsonAsync(), StringComparison.Ordinal);
        }

        for (int i = 0; i < 10; i++)
        {
            await using RawClient flood = await RawClient.ConnectAsync(server.EndPoint);
            string busy = await flood.ReadJsonAsync();
            Assert.Contains("\"code\": \"server_busy\"", busy, StringComparison.Ordinal);
            Assert.True(await flood.IsClosedByServerAsync());
        }

        Assert.Equal(2, server.Server.ConnectionCount);
        foreach (RawClient client in new[] { first, second })
        {
            await client.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"morpheus\"}"));
            Assert.Contains("white rabbit", await client.ReadJsonAsync(), StringComparison.Ordinal);
        }

        // A slot that frees up is taken again.
        await first.DisposeAsync();
        await Eventually.TrueAsync(() => server.Server.ConnectionCount == 1, TimeSpan.FromSeconds(5));
        await using RawClient third = await RawClient.ConnectAsync(server.EndPoint);
        await third.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"ring\"}"));
        Assert.Contains("Misty Mountains", await third.ReadJsonAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [OnEveryEngine]
    public async Task MaxConnections_Echo_ExtraConnectionClosedAtOnce(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartEchoAsync(o => o.MaxConnections = 2, engine: engine);
        await using RawClient first = await RawClient.ConnectAsync(server.EndPoint);
        await using RawClient second = await RawClient.ConnectAsync(server.EndPoint);
        await Eventually.TrueAsync(() => server.Server.ConnectionCount == 2, TimeSpan.FromSeconds(5));

        await using RawClient extra = await RawClient.ConnectAsync(server.EndPoint);
        Assert.True(await extra.IsClosedByServerAsync(TimeSpan.FromSeconds(5)));

        foreach (RawClient client in new[] { first, second })
        {
            await client.SendAsync("ping"u8.ToArray());
            byte[] back = new byte[4];
            int total = 0;
            while (total < 4)
            {
                int n = await client.Socket.ReceiveAsync(back.AsMemory(total), SocketFlags.None);
                Assert.NotEqual(0, n);
                total += n;
            }

            Assert.Equal("ping"u8.ToArray(), back);
        }
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int length)
    {
        byte[] received = new byte[length];
        int total = 0;
        while (total < length)
        {
            int n = await socket.ReceiveAsync(received.AsMemory(total), SocketFlags.None);
            Assert.NotEqual(0, n);
            total += n;
        }

        return received;
    }
}
