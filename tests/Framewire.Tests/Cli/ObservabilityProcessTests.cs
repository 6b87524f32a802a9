using System.Net;
using System.Text.Json;
using Framewire.Client;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary>
/// <c>--log-format json</c>, <c>--admin</c> and <c>framewire status</c>, all as real processes over real sockets:
/// the server, its clients and the status command each on their own.
/// </summary>
public sealed class ObservabilityProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly byte[] Search = Frames.Json("{\"action\": \"search\", \"value\": \"morpheus\"}");
    private static readonly byte[] NotAnObject = Frames.Raw("[1, 2, 3]", "abcd"u8);

    [Fact]
    public async Task AppServer_LogFormatJson_WritesOneJsonObjectPerLineOnStderr()
    {
        await using ChildProcess server = ChildProcess.StartFramewire("app-server", "127.0.0.1", "0", "--log-format", "json", "--verbose");
        int port = await server.WaitForListeningPortAsync();
        EndPoint? client;
        await using (MessageClient search = await MessageClient.ConnectAsync("127.0.0.1", port))
        {
            client = search.LocalEndPoint;
            Assert.Equal("Follow the white rabbit. \U0001f430", (await search.SearchAsync("morpheus")).GetResultText());
        }

        await WaitUntilAsync(() => server.Stderr.Contains("closed by peer", StringComparison.Ordinal));
        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));

        Assert.Contains($"Listening on 127.0.0.1:{port}\n", server.Stdout.Text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        string[] lines = server.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        var events = new List<JsonElement>();
        foreach (string line in lines)
        {
            using JsonDocument document = JsonDocument.Parse(line);
            events.Add(document.RootElement.Clone());
        }

        Assert.All(events, e => Assert.Equal("Framewire.Server", e.GetProperty("Category").GetString()));
        JsonElement accepted = Assert.Single(events, e => e.GetProperty("EventId").GetInt32() == 2);
        Assert.Equal("Debug", accepted.GetProperty("LogLevel").GetString());
        Assert.Equal(Endpoints.Format(client), accepted.GetProperty("State").GetProperty("RemoteEndPoint").GetString());
        Assert.Equal(1, accepted.GetProperty("State").GetProperty("ConnectionId").GetInt64());
        Assert.StartsWith("Connection 1 from ", accepted.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Contains(events, e => e.GetProperty("Message").GetString() == $"Listening on 127.0.0.1:{port}" && e.GetProperty("LogLevel").GetString() == "Information");
    }

    [Fact]
    public async Task EchoServer_LogFormatJson_LogsEachClientAsJson()
    {
        await using ChildProcess server = ChildProcess.StartFramewire("echo-server", "127.0.0.1", "0", "--once", "--verbose", "--log-format", "json");
        int port = await server.WaitForListeningPortAsync();
        await using (RawClient client = await RawClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)))
        {
            await client.SendAsync("hello"u8.ToArray());
            byte[] echo = new byte[5];
            int received = 0;
            while (received < echo.Length)
            {
                received += await client.Socket.ReceiveAsync(echo.AsMemory(received), System.Net.Sockets.SocketFlags.None);
            }
        }

        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
        string line = Assert.Single(server.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        using JsonDocument done = JsonDocument.Parse(line);
        Assert.Equal("Framewire.EchoServer", done.RootElement.GetProperty("Category").GetString());
        Assert.Equal(5, done.RootElement.GetProperty("State").GetProperty("Bytes").GetInt64());
    }

    [Theory]
    [InlineData("selector")]
    [InlineData("async")]
    public async Task Status_Json_ListsEachConnectionWithItsPeerBytesAndTheCounters(string engine)
    {
        await using ChildProcess server = ChildProcess.StartFramewire("app-server", "127.0.0.1", "0", "--engine", engine, "--admin", "127.0.0.1:0");
        int port = await server.WaitForListeningPortAsync();
        string admin = await WaitForAdminAsync(server);
        Assert.StartsWith("127.0.0.1:", admin, StringComparison.Ordinal);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);

        await using (RawClient offender = await RawClient.ConnectAsync(endPoint))
        {
            await offender.SendAsync(NotAnObject);
            Assert.Contains("header_not_object", await offender.ReadJsonAsync(), StringComparison.Ordinal);
            Assert.True(await offender.IsClosedByServerAsync());
        }

        await using RawClient idle = await RawClient.ConnectAsync(endPoint);
        await using RawClient reading = await RawClient.ConnectAsync(endPoint);
        await using RawClient silent = await RawClient.ConnectAsync(endPoint);
        for (int i = 0; i < 2; i++)
        {
            await idle.SendAsync(Search);
            Assert.Contains("white rabbit", await idle.ReadJsonAsync(), StringComparison.Ordinal);
        }

        byte[] half = Search[..(Search.Length / 2)];
        await reading.SendAsync(half);

        JsonElement status = await StatusUntilAsync(admin, s =>
            s.GetProperty("connections").GetArrayLength() == 3
            && Connection(s, reading).GetProperty("bytesReceived").GetInt64() == half.Length
            && Connection(s, idle).GetProperty("state").GetString() == "idle");

        Assert.Equal(engine, status.GetProperty("engine").GetString());
        Assert.Equal($"127.0.0.1:{port}", status.GetProperty("server").GetString());

        JsonElement first = Connection(status, idle);
        Assert.Equal(2 * Search.Length, first.GetProperty("bytesReceived").GetInt64());
        Assert.Equal(2, first.GetProperty("framesReceived").GetInt64());
        Assert.Equal(2, first.GetProperty("framesSent").GetInt64());
        Assert.Equal(0, first.GetProperty("inFlight").GetInt32());
        long answered = first.GetProperty("bytesSent").GetInt64();
        Assert.True(answered > 2 * 80, $"{answered} bytes sent");

        JsonElement second = Connection(status, reading);
        Assert.Equal("reading", second.GetProperty("state").GetString());
        Assert.Equal(0, second.GetProperty("framesReceived").GetInt64());

        JsonElement third = Connection(status, silent);
        Assert.Equal("idle", third.GetProperty("state").GetString());
        Assert.Equal(0, third.GetProperty("bytesReceived").GetInt64());
        Assert.InRange(third.GetProperty("ageSeconds").GetDouble(), 0, Timeout.TotalSeconds);

        JsonElement counters = status.GetProperty("counters");
        Assert.Equal(3, counters.GetProperty("active").GetInt32());
        Assert.Equal(4, counters.GetProperty("accepted").GetInt64());
        Assert.Equal(2, counters.GetProperty("framesReceived").GetInt64());
        Assert.Equal(3, counters.GetProperty("framesSent").GetInt64());
        Assert.Equal((2 * Search.Length) + half.Length + NotAnObject.Length, counters.GetProperty("bytesReceived").GetInt64());
        Assert.True(counters.GetProperty("bytesSent").GetInt64() > answered);
        Assert.Equal(1, counters.GetProperty("errors").GetProperty("header_not_object").GetInt64());
        Assert.Single(counters.GetProperty("errors").EnumerateObject());
    }

    [Fact]
    public async Task Status_OverUnixSocket_AndAsATable()
    {
        string socketPath = Path.Combine(Path.GetTempPath(), $"framewire-admin-{Guid.NewGuid():N}.sock");
        await using ChildProcess server = ChildProcess.StartFramewire("app-server", "127.0.0.1", "0", "--admin", "unix:" + socketPath);
        int port = await server.WaitForListeningPortAsync();
        Assert.Equal("unix:" + socketPath, await WaitForAdminAsync(server));
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        await using RawClient one = await RawClient.ConnectAsync(endPoint);
        await using RawClient two = await RawClient.ConnectAsync(endPoint);
        await two.SendAsync(Search[..10]);

        JsonElement status = await StatusUntilAsync("unix:" + socketPath, s =>
            s.GetProperty("connections").GetArrayLength() == 2 && Connection(s, two).GetProperty("state").GetString() == "reading");
        Assert.Equal(2, status.GetProperty("counters").GetProperty("active").GetInt32());

        (int code, string table, string stderr) = await ChildProcess.RunAsync(ChildProcess.StartFramewire("status", "--admin", "unix:" + socketPath), Timeout);
        Assert.True(code == 0, stderr);
        Assert.Contains(Endpoints.Format(one.Socket.LocalEndPoint), table, StringComparison.Ordinal);
        Assert.Contains(Endpoints.Format(two.Socket.LocalEndPoint), table, StringComparison.Ordinal);
        Assert.Contains("reading", table, StringComparison.Ordinal);
        Assert.Contains("Bytes in/out", table, StringComparison.Ordinal);
        Assert.All(table.Split('\n'), line => Assert.True(line.TrimEnd().Length <= 80, $"piped, the table fits 80 columns: {line}"));

        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
        Assert.False(File.Exists(socketPath), "the admin socket file is removed at stop");
    }

    [Fact]
    public async Task Status_Watch_RefreshesUntilInterrupted()
    {
        await using ChildProcess server = ChildProcess.StartFramewire("multiconn-server", "127.0.0.1", "0", "--admin", "127.0.0.1:0");
        int port = await server.WaitForListeningPortAsync();
        string admin = await WaitForAdminAsync(server);
        await using ChildProcess watch = ChildProcess.StartFramewire("status", "--admin", admin, "--watch", "0.2", "--json");
        await watch.Stdout.WaitForLineAsync(line => line.Contains("\"connections\":[]", StringComparison.Ordinal), Timeout);

        await using RawClient client = await RawClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        string peer = Endpoints.Format(client.Socket.LocalEndPoint);
        string refreshed = await watch.Stdout.WaitForLineAsync(line => line.Contains(peer, StringComparison.Ordinal), Timeout);
        using (JsonDocument document = JsonDocument.Parse(refreshed))
        {
            Assert.Equal(1, document.RootElement.GetProperty("counters").GetProperty("active").GetInt32());
        }

        watch.Interrupt();
        Assert.Equal(0, await watch.WaitForExitAsync(Timeout));
    }

    [Theory]
    [InlineData("app-server", "--admin", "0.0.0.0:9100")]
    [InlineData("multiconn-server", "--admin", "192.0.2.1:9100")]
    [InlineData("status", "--admin", "10.1.2.3:9100")]
    public async Task NonLoopbackAdmin_IsRefused(params string[] args)
    {
        (int code, _, string stderr) = await ChildProcess.RunAsync(ChildProcess.StartFramewire([.. args, .. args[0] == "status" ? Array.Empty<string>() : ["127.0.0.1", "0"]]), Timeout);

        Assert.Equal(2, code);
        Assert.Contains("is not a loopback address", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WithoutAServer_FailsWithAClearError()
    {
        using var free = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        free.Start();
        int port = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();

        (int code, _, string stderr) = await ChildProcess.RunAsync(ChildProcess.StartFramewire("status", "--admin", $"127.0.0.1:{port}", "--json"), Timeout);

        Assert.Equal(1, code);
        Assert.Equal(
            $"Error: cannot connect to 127.0.0.1:{port}: connection refused (is the server running, on that port?); was the server started with --admin 127.0.0.1:{port}?",
            stderr.Trim());
    }

    private static async Task<string> WaitForAdminAsync(ChildProcess server)
    {
        string line = await server.Stdout.WaitForLineAsync(l => l.StartsWith("Admin on ", StringComparison.Ordinal), Timeout);
        return line["Admin on ".Length..];
    }

    private static JsonElement Connection(JsonElement status, RawClient client)
    {
        string peer = Endpoints.Format(client.Socket.LocalEndPoint);
        foreach (JsonElement connection in status.GetProperty("connections").EnumerateArray())
        {
            if (connection.GetProperty("peer").GetString() == peer)
            {
                return connection;
            }
        }

        throw new KeyNotFoundException($"No connection from {peer}.");
    }

    /// <summary>Runs <c>framewire status --json</c> until its document satisfies <paramref name="condition"/> (the server reads asynchronously).</summary>
    private static async Task<JsonElement> StatusUntilAsync(string admin, Func<JsonElement, bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Timeout;
        string last = string.Empty;
        for (int attempt = 0; attempt < 20 && DateTime.UtcNow < deadline; attempt++)
        {
            (int code, string stdout, string stderr) = await ChildProcess.RunAsync(ChildProcess.StartFramewire("status", "--admin", admin, "--json"), Timeout);
            Assert.True(code == 0, stderr);
            last = stdout;
            using JsonDocument document = JsonDocument.Parse(stdout);
            JsonElement status = document.RootElement.Clone();
            try
            {
                if (condition(status))
                {
                    return status;
                }
            }
            catch (KeyNotFoundException)
            {
                // A client's connection is not accepted yet.
            }

            await Task.Delay(200);
        }

        Assert.Fail("The status never showed what was expected:\n" + last);
        return default;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }
}
