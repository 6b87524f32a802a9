using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Framewire.Cli.Admin;
using Framewire.Cli.Commands;
using Framewire.Client;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary>
/// The admin endpoint over real loopback HTTP beside a real server: the page, <c>/api/status</c> and the event
/// stream, and the frame protocol that <c>framewire status</c> speaks on the same address.
/// </summary>
public sealed class DashboardEndpointTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Root_ServesTheSelfContainedPageAsHtml()
    {
        await using Site site = await Site.StartAsync(ServerEngine.Selector);

        using HttpResponseMessage response = await site.Http.GetAsync("/");
        string page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("default-src 'none'", string.Join(' ', response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.StartsWith("<!DOCTYPE html>", page, StringComparison.Ordinal);
        Assert.Contains("<canvas id=\"chart-latency\"", page, StringComparison.Ordinal);
        Assert.Contains("new EventSource(\"api/events\")", page, StringComparison.Ordinal);

        // Nothing from elsewhere: no CDN, no font, no image by address, so the page works offline.
        Assert.DoesNotContain("://", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ServerEngine.Selector)]
    [InlineData(ServerEngine.Async)]
    public async Task ApiStatus_HasARowPerLiveClient_AndIsTheDocumentStatusJsonReads(ServerEngine engine)
    {
        await using Site site = await Site.StartAsync(engine);
        var clients = new List<MessageClient>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                MessageClient client = await MessageClient.ConnectAsync(site.Server.EndPoint);
                clients.Add(client);
                Assert.Equal("Follow the white rabbit. \U0001f430", (await client.SearchAsync("morpheus")).GetResultText());
            }

            JsonElement status = await site.GetJsonAsync("/api/status");

            Assert.Equal(site.Server.EndPoint.ToString(), status.GetProperty("server").GetString());
            Assert.Equal(engine == ServerEngine.Selector ? "selector" : "async", status.GetProperty("engine").GetString());
            string[] peers = [.. status.GetProperty("connections").EnumerateArray().Select(c => c.GetProperty("peer").GetString()!).Order()];
            Assert.Equal([.. clients.Select(c => Endpoints.Format(c.LocalEndPoint)).Order()], peers);
            Assert.All(status.GetProperty("connections").EnumerateArray(), c => Assert.Equal(1, c.GetProperty("framesReceived").GetInt64()));
            Assert.Equal(3, status.GetProperty("counters").GetProperty("framesReceived").GetInt64());

            var stdout = new StringWriter();
            int code = await StatusCommand.RunAsync(site.Admin, json: true, watch: null, width: null, stdout, new StringWriter(), CancellationToken.None);
            Assert.Equal(0, code);
            using JsonDocument framed = JsonDocument.Parse(stdout.ToString());
            Assert.Equal(Shape(status), Shape(framed.RootElement));
            Assert.Equal(
                status.GetProperty("connections").EnumerateArray().Select(c => c.GetProperty("id").GetInt64()),
                framed.RootElement.GetProperty("connections").EnumerateArray().Select(c => c.GetProperty("id").GetInt64()));
        }
        finally
        {
            foreach (MessageClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(ServerEngine.Selector)]
    [InlineData(ServerEngine.Async)]
    public async Task Events_SendTheHistory_ThenASamplePerSecond_WithRatesAndLatencyUnderLoad(ServerEngine engine)
    {
        await using Site site = await Site.StartAsync(engine);
        await using EventStream events = await EventStream.OpenAsync(site.Http);
        (string? name, string history) = await events.ReadAsync();
        Assert.Equal("history", name);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(history).RootElement.ValueKind);

        using var stop = new CancellationTokenSource(Timeout);
        Task load = SearchUntilAsync(site.Server.EndPoint, stop.Token);
        var samples = new List<JsonElement>();
        try
        {
            while (samples.Count < 4)
            {
                (name, string data) = await events.ReadAsync();
                Assert.Null(name);
                samples.Add(JsonDocument.Parse(data).RootElement.Clone());
            }
        }
        finally
        {
            await stop.CancelAsync();
            await load;
        }

        for (int i = 1; i < samples.Count; i++)
        {
            long gap = samples[i].GetProperty("time").GetInt64() - samples[i - 1].GetProperty("time").GetInt64();
            Assert.InRange(gap, 300, 2500);
        }

        JsonElement busy = samples[^1];
        Assert.Equal(1, busy.GetProperty("active").GetInt32());
        Assert.True(busy.GetProperty("messagesIn").GetDouble() > 0, busy.ToString());
        Assert.True(busy.GetProperty("bytesOut").GetDouble() > busy.GetProperty("messagesOut").GetDouble(), busy.ToString());
        Assert.True(busy.GetProperty("requests").GetInt64() > 0, busy.ToString());
        double p50 = busy.GetProperty("p50").GetDouble();
        Assert.InRange(p50, 0.000001, 1000);
        Assert.True(busy.GetProperty("p99").GetDouble() >= p50, busy.ToString());
    }

    [Fact]
    public async Task Latency_IsMeasuredOnlyWhileAStreamIsOpen()
    {
        await using Site site = await Site.StartAsync(ServerEngine.Selector);
        using (var unwatched = new CancellationTokenSource(TimeSpan.FromSeconds(2.5)))
        {
            await SearchUntilAsync(site.Server.EndPoint, unwatched.Token);
        }

        await using EventStream events = await EventStream.OpenAsync(site.Http);
        JsonElement[] history = [.. JsonDocument.Parse((await events.ReadAsync()).Data).RootElement.EnumerateArray()];
        Assert.Contains(history, s => s.GetProperty("messagesIn").GetDouble() > 0);
        Assert.All(history, s => Assert.Equal(0, s.GetProperty("requests").GetInt64()));
        Assert.All(history, s => Assert.Equal(JsonValueKind.Null, s.GetProperty("p50").ValueKind));

        using var stop = new CancellationTokenSource(Timeout);
        Task load = SearchUntilAsync(site.Server.EndPoint, stop.Token);
        JsonElement watched;
        try
        {
            await events.ReadAsync();
            watched = JsonDocument.Parse((await events.ReadAsync()).Data).RootElement.Clone();
        }
        finally
        {
            await stop.CancelAsync();
            await load;
        }

        Assert.True(watched.GetProperty("requests").GetInt64() > 0, watched.ToString());
        Assert.Equal(JsonValueKind.Number, watched.GetProperty("p99").ValueKind);
    }

    [Fact]
    public async Task Events_CountErrorsByCodePerSecond()
    {
        await using Site site = await Site.StartAsync(ServerEngine.Selector);
        await using EventStream events = await EventStream.OpenAsync(site.Http);
        await events.ReadAsync();
        await using (RawClient offender = await RawClient.ConnectAsync(site.Server.EndPoint))
        {
            await offender.SendAsync(Frames.Raw("[1, 2, 3]", "abcd"u8));
            Assert.Contains("header_not_object", await offender.ReadJsonAsync(), StringComparison.Ordinal);
        }

        JsonElement sample;
        do
        {
            sample = JsonDocument.Parse((await events.ReadAsync()).Data).RootElement.Clone();
        }
        while (!sample.GetProperty("errors").EnumerateObject().Any());

        Assert.Equal(1, sample.GetProperty("errors").GetProperty("header_not_object").GetInt64());
        Assert.Single(sample.GetProperty("errors").EnumerateObject());
    }

    [Fact]
    public async Task Events_BeyondTheLimit_AreRefusedWith503_AndAClosedStreamFreesItsSlot()
    {
        await using Site site = await Site.StartAsync(ServerEngine.Selector);
        var streams = new List<EventStream>();
        try
        {
            for (int i = 0; i < DashboardFeed.MaxStreams; i++)
            {
                streams.Add(await EventStream.OpenAsync(site.Http));
            }

            using (HttpResponseMessage refused = await site.Http.GetAsync("/api/events"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            }

            // The status and the page are still served: the streams leave the admin server connections to spare.
            Assert.Equal(JsonValueKind.Object, (await site.GetJsonAsync("/api/status")).ValueKind);

            await streams[0].DisposeAsync();
            streams.RemoveAt(0);

            // The server learns of the close when it next writes a sample, within a second or two.
            var watch = Stopwatch.StartNew();
            while (true)
            {
                using HttpResponseMessage again = await site.Http.GetAsync("/api/events", HttpCompletionOption.ResponseHeadersRead);
                if (again.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }

                Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), "the closed stream's slot was never freed");
                await Task.Delay(200);
            }
        }
        finally
        {
            foreach (EventStream stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Events_EndWhenTheEndpointStops_WithoutWaitingForTheShutdownTimeout()
    {
        RunningServer server = await RunningServer.StartAsync(engine: ServerEngine.Selector);
        await using (server)
        {
            AdminEndpoint admin = await AdminEndpoint.StartAsync(server.Server, new IPEndPoint(IPAddress.Loopback, 0), CancellationToken.None);
            using var http = new HttpClient { BaseAddress = new Uri($"http://{admin.LocalEndPoint}/"), Timeout = Timeout };
            await using EventStream events = await EventStream.OpenAsync(http);
            await events.ReadAsync();

            var watch = Stopwatch.StartNew();
            await admin.DisposeAsync();

            // The admin server aborts what is left after its 2-second shutdown timeout; the streams end before.
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1.9), $"stopping took {watch.Elapsed}");
            Assert.True(await events.EndsAsync(), "the stream was not closed");
        }
    }

    [Fact]
    public async Task Events_AClientThatNeverReads_DoesNotHoldBackTheOthers()
    {
        await using Site site = await Site.StartAsync(ServerEngine.Selector);
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        await stalled.ConnectAsync(site.AdminEndPoint);
        await stalled.SendAsync(Encoding.ASCII.GetBytes($"GET /api/events HTTP/1.1\r\nHost: {site.Admin}\r\n\r\n"));

        await using EventStream events = await EventStream.OpenAsync(site.Http);
        await events.ReadAsync();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < 3; i++)
        {
            Assert.Null((await events.ReadAsync()).Name);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"three samples took {watch.Elapsed}");
        await using MessageClient client = await MessageClient.ConnectAsync(site.Server.EndPoint);
        Assert.Equal("Follow the white rabbit. \U0001f430", (await client.SearchAsync("morpheus")).GetResultText());
    }

    [Theory]
    [InlineData("GET /api/status HTTP/1.1\r\nHost: rebound.example:9100\r\n\r\n", "HTTP/1.1 403 Forbidden")]
    [InlineData("HELLO\r\n\r\n", "HTTP/1.1 400 Bad Request")]
    [InlineData("POST /api/status HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed")]
    [InlineData("GET /etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n", "HTTP/1.1 404 Not Found")]
    public async Task Http_RequestsItDoesNotServe_AreAnsweredWithTheirStatusAndClosed(string request, string statusLine)
    {
        await using Site site = await Site.StartAsync(ServerEngine.Selector);
        await using RawClient client = await RawClient.ConnectAsync(site.AdminEndPoint);
        await client.SendAsync(Encoding.ASCII.GetBytes(request));

        string answer = Encoding.ASCII.GetString(await ReadToEndAsync(client.Socket));

        Assert.StartsWith(statusLine + "\r\n", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("\"connections\"", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_AHeadLargerThanTheLimit_IsAnswered431()
    {
        await using Site site = await Site.StartAsync(ServerEngine.Selector);
        await using RawClient client = await RawClient.ConnectAsync(site.AdminEndPoint);
        await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX-Filler: " + new string('a', HttpRequestHead.MaxLength + 1)));

        string answer = Encoding.ASCII.GetString(await ReadToEndAsync(client.Socket));

        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Frames_OtherActionsAreRefused_AndTheConnectionStillAnswersStatus()
    {
        await using Site site = await Site.StartAsync(ServerEngine.Selector);
        await using MessageClient client = await MessageClient.ConnectAsync(site.AdminEndPoint);

        Response refused = await client.SearchAsync("morpheus");
        Assert.True(refused.TryGetError(out ProtocolError error));
        Assert.Equal(ErrorCode.InvalidAction, error.Code);

        Response status = await client.SendAsync(ContentTypes.Json, ContentTypes.Utf8, "{\"action\": \"status\"}"u8.ToArray());
        Assert.False(status.TryGetError(out _));
        using JsonDocument document = JsonDocument.Parse(status.Content.ToArray());
        Assert.Equal(site.Server.EndPoint.ToString(), document.RootElement.GetProperty("server").GetString());
    }

    private static string Shape(JsonElement status) =>
        string.Join(',', status.EnumerateObject().Select(p => p.Name))
        + ";" + string.Join(',', status.GetProperty("counters").EnumerateObject().Select(p => p.Name))
        + ";" + string.Join(',', status.GetProperty("connections").EnumerateArray().First().EnumerateObject().Select(p => p.Name));

    private static async Task SearchUntilAsync(EndPoint endPoint, CancellationToken stop)
    {
        await using MessageClient client = await MessageClient.ConnectAsync(endPoint, cancellationToken: CancellationToken.None);
        while (!stop.IsCancellationRequested)
        {
            await client.SearchAsync("morpheus", CancellationToken.None);
        }
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var all = new MemoryStream();
        byte[] buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        return all.ToArray();
    }

    /// <summary>A served search server with its admin endpoint, and an HTTP client for the endpoint.</summary>
    private sealed class Site(RunningServer server, AdminEndpoint admin) : IAsyncDisposable
    {
        public RunningServer Server => server;

        public EndPoint AdminEndPoint => admin.LocalEndPoint;

        public string Admin => Endpoints.Format(admin.LocalEndPoint);

        public HttpClient Http { get; } = new() { BaseAddress = new Uri($"http://{Endpoints.Format(admin.LocalEndPoint)}/"), Timeout = Timeout };

        public static async Task<Site> StartAsync(ServerEngine engine)
        {
            RunningServer server = await RunningServer.StartAsync(engine: engine);
            return new Site(server, await AdminEndpoint.StartAsync(server.Server, new IPEndPoint(IPAddress.Loopback, 0), CancellationToken.None));
        }

        public async Task<JsonElement> GetJsonAsync(string path)
        {
            using HttpResponseMessage response = await Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            return document.RootElement.Clone();
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await admin.DisposeAsync();
            await server.DisposeAsync();
        }
    }

    /// <summary>A <c>GET /api/events</c> read event by event, as <c>EventSource</c> reads it.</summary>
    private sealed class EventStream(HttpResponseMessage response, StreamReader reader) : IAsyncDisposable
    {
        public static async Task<EventStream> OpenAsync(HttpClient http)
        {
            HttpResponseMessage response = await http.GetAsync("/api/events", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            return new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
        }

        /// <summary>The next event with data: its name (null for a plain message) and its data.</summary>
        public async Task<(string? Name, string Data)> ReadAsync()
        {
            using var timeout = new CancellationTokenSource(Timeout);
            string? name = null;
            var data = new StringBuilder();
            while (true)
            {
                string line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("The event stream ended.");
                if (line.Length == 0)
                {
                    if (data.Length > 0)
                    {
                        return (name, data.ToString());
                    }

                    name = null;
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Append(line["data: ".Length..]);
                }
            }
        }

        /// <summary>True when the server closes the stream within a few seconds.</summary>
        public async Task<bool> EndsAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                while (await reader.ReadLineAsync(timeout.Token) is not null)
                {
                }

                return true;
            }
            catch (IOException)
            {
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public ValueTask DisposeAsync()
        {
            reader.Dispose();
            response.Dispose();
            return default;
        }
    }
}
