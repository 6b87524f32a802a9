using System.Net.Sockets;
using System.Text;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>
/// The bad-input matrix, row by row: broken framing gets the error frame with its code, then the close; the other
/// rows (bad content, odd senders, floods, resets) assert their answer and whether the connection is kept. In every
/// row a client connected beside it is still served. Runs on every engine in <see cref="Conformance.ConformanceEngines"/>.
/// </summary>
public sealed class BadInputTests
{
    private const string Search = "{\"action\": \"search\", \"value\": \"ring\"}";

    public static TheoryData<string, byte[], string> Rows()
    {
        byte[] content = Encoding.UTF8.GetBytes(Search);
        var garbage = new byte[64 * 1024];
        new Random(7).NextBytes(garbage);
        garbage[0] = 0xAB;
        string deep = "{\"byteorder\": " + new string('[', 512) + new string(']', 512) + "}";
        return new TheoryData<string, byte[], string>
        {
            { "zero header length", [0, 0], "header_length_invalid" },
            { "header length over the limit", [0x40, 0x00, (byte)'{'], "header_too_large" },
            { "64 KiB of garbage", garbage, "header_too_large" },
            { "header not UTF-8", Frames.Raw([.. "{\"byteorder\": \""u8, 0xFF, 0xFE, .. "\"}"u8], content), "header_invalid_utf8" },
            // Found by the header fuzz target (fuzz/README.md): the JSON reader threw for these instead of the parser answering.
            { "header value a lone surrogate escape", Frames.Raw("{\"byteorder\": \"little\", \"content-type\": \"\\ud800\", \"content-encoding\": \"utf-8\", \"content-length\": 37}", content), "header_invalid_utf8" },
            { "header key a lone surrogate escape", Frames.Raw("{\"\\udc00\": 1, \"byteorder\": \"little\", \"content-type\": \"text/json\", \"content-encoding\": \"utf-8\", \"content-length\": 37}", content), "header_invalid_utf8" },
            { "header starts with a stray byte", Frames.Raw([0xFF, 0x7B, 0x7D], content), "header_not_json" },
            { "header not JSON", Frames.Raw("not json at all", content), "header_not_json" },
            { "header a JSON array", Frames.Raw("[1, 2, 3]", content), "header_not_object" },
            { "header nested 512 deep", Frames.Raw(deep, content), "header_not_json" },
            { "content-length missing", Frames.Raw(Header(null), content), "header_missing_key" },
            { "content-type missing", Frames.Raw("{\"byteorder\": \"little\", \"content-encoding\": \"utf-8\", \"content-length\": 4}", "abcd"u8), "header_missing_key" },
            { "duplicate key", Frames.Raw("{\"byteorder\": \"little\", \"byteorder\": \"big\", \"content-type\": \"text/json\", \"content-encoding\": \"utf-8\", \"content-length\": 4}", "abcd"u8), "header_duplicate_key" },
            { "content-length negative", Frames.Raw(Header("-1"), content), "content_length_invalid" },
            { "content-length a float", Frames.Raw(Header("1.5"), content), "content_length_invalid" },
            { "content-length a string", Frames.Raw(Header("\"38\""), content), "content_length_invalid" },
            { "content-length 2^53", Frames.Raw(Header("9007199254740992"), content), "content_too_large" },
            { "content-length over the limit", Frames.Raw(Header((17 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture)), content), "content_too_large" },
        };
    }

    [Theory]
    [OnEveryEngine(Rows = nameof(Rows))]
    public Task BrokenFraming_ErrorFrameThenClose_OtherClientServed(ServerEngine engine, string row, byte[] input, string code) =>
        BrokenFramingAsync(engine, row, input, code, tls: null);

    [Theory]
    [OnEveryEngine(Rows = nameof(Rows), Tls = true)]
    public async Task BrokenFraming_InsideTls_ErrorFrameThenClose(ServerEngine engine, string row, byte[] input, string code)
    {
        using TestCertificates certificates = TestCertificates.Create();
        await BrokenFramingAsync(engine, row, input, code, certificates);
    }

    public static TheoryData<string> Scenarios() => [.. s_scenarios.Keys];

    [Theory]
    [OnEveryEngine(Rows = nameof(Scenarios))]
    public Task Misbehaviour_AnsweredAsExpected_OtherClientServed(ServerEngine engine, string row) => MisbehaveAsync(engine, row, tls: null);

    /// <summary>The rows that mean the same inside TLS: those that send and read bytes, not those that handle the socket.</summary>
    public static TheoryData<string> TlsScenarios() =>
    [
        "unknown content-encoding", "text/json content not JSON", "content a JSON array", "unknown action",
        "1000 pipelined requests", "slowloris header", "content trickled below the minimum rate",
    ];

    [Theory]
    [OnEveryEngine(Rows = nameof(TlsScenarios), Tls = true)]
    public async Task Misbehaviour_InsideTls_AnsweredAsExpected_OtherClientServed(ServerEngine engine, string row)
    {
        using TestCertificates certificates = TestCertificates.Create();
        await MisbehaveAsync(engine, row, certificates);
    }

    /// <summary>A framing row on a plain socket or, with <paramref name="tls"/>, inside TLS.</summary>
    private static async Task BrokenFramingAsync(ServerEngine engine, string row, byte[] input, string code, TestCertificates? tls)
    {
        await using RunningServer server = await StartAsync(engine, configure: null, tls);
        await using RawClient bystander = await ConnectAsync(server, tls);
        await using RawClient offender = await ConnectAsync(server, tls);

        await offender.SendAsync(input);
        string error = await offender.ReadJsonAsync();

        Assert.True(error.Contains($"\"code\": \"{code}\"", StringComparison.Ordinal), $"{row}: {error}");
        Assert.True(await offender.IsClosedByServerAsync(), $"{row}: the connection is closed after the error frame");
        await bystander.SendAsync(Frames.Json(Search));
        Assert.Contains("Misty Mountains", await bystander.ReadJsonAsync(), StringComparison.Ordinal);
    }

    /// <summary>A misbehaviour row on a plain socket or, with <paramref name="tls"/>, inside TLS.</summary>
    private static async Task MisbehaveAsync(ServerEngine engine, string row, TestCertificates? tls)
    {
        (Action<MessageServerOptions>? configure, Func<RunningServer, RawClient, Task> run) = s_scenarios[row];
        await using RunningServer server = await StartAsync(engine, configure, tls);
        await using RawClient bystander = await ConnectAsync(server, tls);
        await using RawClient offender = await ConnectAsync(server, tls);

        await run(server, offender);

        await bystander.SendAsync(Frames.Json(Search));
        Assert.Contains("Misty Mountains", await bystander.ReadJsonAsync(), StringComparison.Ordinal);
    }

    private static Task<RunningServer> StartAsync(ServerEngine engine, Action<MessageServerOptions>? configure, TestCertificates? tls) =>
        RunningServer.StartAsync(engine: engine, configure: o =>
        {
            if (tls is not null)
            {
                o.Tls = TlsServerOptions.FromPemFiles(tls.ServerCertPath, tls.ServerKeyPath);
            }

            configure?.Invoke(o);
        });

    private static Task<RawClient> ConnectAsync(RunningServer server, TestCertificates? tls) =>
        tls is null ? RawClient.ConnectAsync(server.EndPoint) : RawClient.ConnectTlsAsync(server.EndPoint, tls.CaPath);

    private static readonly Dictionary<string, (Action<MessageServerOptions>? Configure, Func<RunningServer, RawClient, Task> Run)> s_scenarios = new()
    {
        ["header length cut after 1 byte"] = (null, async (_, c) =>
        {
            await c.SendAsync([0x00]);
            c.Socket.Shutdown(SocketShutdown.Send);
            await ExpectErrorThenCloseAsync(c, "frame_truncated");
        }),
        ["unknown content-encoding"] = (null, async (_, c) =>
        {
            await c.SendAsync(Frames.Json(Search, "rot13"));
            await ExpectErrorThenKeptAsync(c, "unsupported_encoding");
        }),
        ["text/json content not JSON"] = (null, async (_, c) =>
        {
            await c.SendAsync(Frames.Json("this is not json {"));
            await ExpectErrorThenKeptAsync(c, "content_not_json");
        }),
        ["content a JSON array"] = (null, async (_, c) =>
        {
            await c.SendAsync(Frames.Json("[1, 2, 3]"));
            await ExpectErrorThenKeptAsync(c, "invalid_request");
        }),
        ["unknown action"] = (null, async (_, c) =>
        {
            // Answered as the tutorial's server answers it, in a result rather than an error frame.
            await c.SendAsync(Frames.Json("{\"action\": \"delete\", \"value\": \"ring\"}"));
            Assert.Contains("Error: invalid action 'delete'", await c.ReadJsonAsync(), StringComparison.Ordinal);
            await ExpectAnswerThenKeptAsync(c);
        }),
        ["byte-at-a-time sender"] = (null, async (_, c) =>
        {
            c.Socket.NoDelay = true;
            foreach (byte b in Frames.Json(Search))
            {
                await c.Socket.SendAsync(new[] { b }, SocketFlags.None);
            }

            Assert.Contains("Misty Mountains", await c.ReadJsonAsync(), StringComparison.Ordinal);
            await ExpectAnswerThenKeptAsync(c);
        }),
        ["frame split at every byte"] = (null, async (_, c) =>
        {
            c.Socket.NoDelay = true;
            byte[] frame = Frames.Json(Search);
            for (int cut = 1; cut < frame.Length; cut++)
            {
                await c.Socket.SendAsync(frame.AsMemory(0, cut), SocketFlags.None);
                await Task.Delay(1);
                await c.Socket.SendAsync(frame.AsMemory(cut), SocketFlags.None);
                Assert.Contains("Misty Mountains", await c.ReadJsonAsync(), StringComparison.Ordinal);
            }

            await ExpectAnswerThenKeptAsync(c);
        }),
        ["1000 pipelined requests"] = (null, async (_, c) =>
        {
            string[] values = ["ring", "morpheus", "nothing"];
            var burst = new List<byte>();
            for (int i = 0; i < 1000; i++)
            {
                burst.AddRange(Frames.Json($"{{\"action\": \"search\", \"value\": \"{values[i % 3]}\"}}"));
            }

            Task sending = c.SendAsync([.. burst]);
            string[] expected = ["Misty Mountains", "white rabbit", "No match"];
            for (int i = 0; i < 1000; i++)
            {
                string answer = await c.ReadJsonAsync();
                Assert.True(answer.Contains(expected[i % 3], StringComparison.Ordinal), $"answer {i}: {answer}");
            }

            await sending;
            await ExpectAnswerThenKeptAsync(c);
        }),
        ["half-close after a request"] = (null, async (_, c) =>
        {
            await c.SendAsync(Frames.Json(Search));
            c.Socket.Shutdown(SocketShutdown.Send);
            Assert.Contains("Misty Mountains", await c.ReadJsonAsync(), StringComparison.Ordinal);
            Assert.True(await c.IsClosedByServerAsync(), "closed after the answer");
        }),
        ["reset mid-frame"] = (null, async (server, c) =>
        {
            byte[] frame = Frames.Json(Search);
            await c.SendAsync(frame[..(frame.Length / 2)]);
            await Eventually.TrueAsync(() => server.Server.ConnectionCount == 2);
            c.Socket.LingerState = new LingerOption(true, 0);
            c.Socket.Close();

            // Only the bystander is left: the reset connection was cleaned up, not leaked.
            await Eventually.TrueAsync(() => server.Server.ConnectionCount == 1);
        }),
        ["slowloris header"] = (o => o.FrameTimeout = TimeSpan.FromMilliseconds(300), async (_, c) =>
        {
            byte[] frame = Frames.Json(Search);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            Task dribble = DribbleAsync(c, frame, TimeSpan.FromMilliseconds(50), stop.Token);
            await ExpectErrorThenCloseAsync(c, "frame_timeout");
            await stop.CancelAsync();
            await dribble;
        }),
        ["content trickled below the minimum rate"] = (o => { o.MinDataRate = 240; o.MinDataRateGracePeriod = TimeSpan.FromMilliseconds(500); }, async (_, c) =>
        {
            byte[] frame = Frames.Binary(new byte[1000]);
            await c.SendAsync(frame[..^1000]);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            Task dribble = DribbleAsync(c, frame[^1000..], TimeSpan.FromMilliseconds(100), stop.Token);
            await ExpectErrorThenCloseAsync(c, "data_rate_too_low");
            await stop.CancelAsync();
            await dribble;
        }),
        ["client that never reads"] = (o => { o.SendHighWater = 16 * 1024; o.SendLimit = 16 * 1024; o.MinDataRate = 4096; o.MinDataRateGracePeriod = TimeSpan.FromSeconds(1); }, async (server, _) =>
        {
            // Pipelined searches whose answers are never read: the server stops reading, then cuts the client. The
            // small receive buffer is set before the connect, so the window the client advertises is small from the
            // start: shrunk later, its kernel would drop what the server already had in flight, and the two sides can
            // then wait on each other's window for longer than the test runs.
            await using RawClient nonReader = await RawClient.ConnectAsync(server.EndPoint, s => s.ReceiveBufferSize = 4096);
            byte[] batch = [.. Enumerable.Range(0, 200).SelectMany(_ => Frames.Json(Search))];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Assert.ThrowsAnyAsync<SocketException>(async () =>
            {
                while (true)
                {
                    await nonReader.Socket.SendAsync(batch, SocketFlags.None, timeout.Token);
                }
            });

            // Left: the bystander and the idle connection made for this row.
            await Eventually.TrueAsync(() => server.Server.ConnectionCount == 2);
        }),
        ["flood past max-connections"] = (o => o.MaxConnections = 2, async (server, c) =>
        {
            // Loops accept in parallel: the two slots must be taken before the flood, or a flood connection could
            // take one.
            await Eventually.TrueAsync(() => server.Server.ConnectionCount == 2);
            for (int i = 0; i < 10; i++)
            {
                await using RawClient flood = await RawClient.ConnectAsync(server.EndPoint);
                await ExpectErrorThenCloseAsync(flood, "server_busy");
            }

            await ExpectAnswerThenKeptAsync(c);
        }),
    };

    private static async Task ExpectErrorThenCloseAsync(RawClient client, string code)
    {
        string error = await client.ReadJsonAsync();
        Assert.Contains($"\"code\": \"{code}\"", error, StringComparison.Ordinal);
        Assert.True(await client.IsClosedByServerAsync(), $"closed after {code}");
    }

    private static async Task ExpectErrorThenKeptAsync(RawClient client, string code)
    {
        string error = await client.ReadJsonAsync();
        Assert.Contains($"\"code\": \"{code}\"", error, StringComparison.Ordinal);
        await ExpectAnswerThenKeptAsync(client);
    }

    private static async Task ExpectAnswerThenKeptAsync(RawClient client)
    {
        await client.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"morpheus\"}"));
        Assert.Contains("white rabbit", await client.ReadJsonAsync(), StringComparison.Ordinal);
    }

    private static async Task DribbleAsync(RawClient client, byte[] bytes, TimeSpan pause, CancellationToken cancellationToken)
    {
        try
        {
            // Through the client's stream: a byte per send on a plain socket, a byte per record inside TLS.
            foreach (byte b in bytes)
            {
                await client.SendAsync([b]);
                await Task.Delay(pause, cancellationToken);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            // The server closed, as it should, or the row is done.
        }
    }

    private static string Header(string? contentLength) =>
        "{\"byteorder\": \"little\", \"content-type\": \"text/json\", \"content-encoding\": \"utf-8\""
        + (contentLength is null ? "}" : $", \"content-length\": {contentLength}}}");
}
