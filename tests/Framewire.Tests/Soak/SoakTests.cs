using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;
using Xunit.Abstractions;

namespace Framewire.Tests.Soak;

/// <summary>
/// A bounded soak of <c>framewire app-server</c> as a child process, so its descriptors and memory are its own:
/// after a warm-up, clients churn for a while (good requests checked answer by answer, bad frames, resets mid-frame
/// and after a request), then the server's active-connection gauge must return to zero, and its open descriptors and
/// resident memory to about where they were after the warm-up.
/// </summary>
[Collection(SoakCollection.Name)]
[Trait("Category", "Soak")]
public sealed class SoakTests(ITestOutputHelper output)
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Churn = TimeSpan.FromSeconds(22);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(15);
    private static readonly string[] Keys = ["morpheus", "ring", "\U0001f436", "nobody"];

    // Enough clients to keep both cores busy and many connections open at once, few enough for a shared 2-core runner.
    private const int Clients = 12;

    // New connections a second, over all clients. Paced rather than as fast as possible: a client that closes first
    // leaves its port in TIME_WAIT for 60 s, and an engine's run stays well inside the 28,000 ports of the usual
    // ephemeral range even where the kernel does not reuse them, while leaving the shared cores some room.
    private const int ConnectionsPerSecond = 650;

    // The paced run answers about 25,000; far fewer means the server stalled.
    private const int MinimumRequests = 5_000;

    // Runtime threads, epoll and timer descriptors the runtime may open lazily, and a scrape connection closing.
    private const int DescriptorTolerance = 12;

    // Resident memory may settle a little above the warm start (heap growth, JIT of rarely taken paths), not more.
    private const long MemoryMarginBytes = 48L * 1024 * 1024;

    [Theory]
    [OnEveryEngine]
    public async Task ConnectionChurn_ConnectionsDescriptorsAndMemoryReturnToTheirStart(ServerEngine engine)
    {
        int metricsPort = FreePort();
        await using ChildProcess server = ChildProcess.StartFramewire(
            "app-server", "127.0.0.1", "0", "--engine", ConformanceEngines.FlagValue(engine), "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture));
        int port = await server.WaitForListeningPortAsync();
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);

        Tally warm = await RunClientsAsync(endPoint, WarmUp);
        Assert.True(warm.Failures.IsEmpty, "warm-up: " + string.Join("; ", warm.Failures.Take(5)));
        await WaitForActiveConnectionsAsync(metricsPort, 0);
        int startDescriptors = await WaitForStableDescriptorsAsync(server.Id);
        string startKinds = DescriptorKinds(server.Id);
        long startResident = ResidentBytes(server.Id);

        Tally soak = await RunClientsAsync(endPoint, Churn);

        Assert.True(soak.Failures.IsEmpty, $"{soak.Failures.Count} failures, first: " + string.Join("; ", soak.Failures.Take(5)));
        Assert.True(soak.Requests >= MinimumRequests, $"only {soak.Requests} requests answered in {Churn.TotalSeconds} s");
        await WaitForActiveConnectionsAsync(metricsPort, 0);
        int endDescriptors = await WaitForDescriptorsAsync(server.Id, startDescriptors + DescriptorTolerance);
        Assert.True(endDescriptors <= startDescriptors + DescriptorTolerance, $"descriptors: {startDescriptors} after warm-up ({startKinds}), {endDescriptors} after the soak ({DescriptorKinds(server.Id)})");
        long endResident = await WaitForResidentAsync(server.Id, startResident + MemoryMarginBytes);
        output.WriteLine(
            $"{engine}: {soak.Requests} requests answered, {soak.Connections} connections in {Churn.TotalSeconds} s; "
            + $"descriptors {startDescriptors} -> {endDescriptors}; resident {startResident / 1024} KiB -> {endResident / 1024} KiB");
        Assert.True(
            endResident <= startResident + MemoryMarginBytes,
            $"resident memory: {startResident / 1024} KiB after warm-up, {endResident / 1024} KiB after the soak");

        server.Terminate();
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain("Exception", server.Stderr, StringComparison.Ordinal);
    }

    private static async Task<Tally> RunClientsAsync(IPEndPoint endPoint, TimeSpan duration)
    {
        var tally = new Tally();
        long start = Environment.TickCount64;
        long deadline = start + (long)duration.TotalMilliseconds;

        // Bounded by count as well as by time: a slow machine stops at the deadline, a fast one at the count.
        int iterations = (int)(duration.TotalSeconds * ConnectionsPerSecond / Clients);
        var clients = new Task[Clients];
        for (int i = 0; i < Clients; i++)
        {
            int client = i;
            clients[i] = Task.Run(() => RunClientAsync(endPoint, client, iterations, start, deadline, tally));
        }

        await Task.WhenAll(clients);
        return tally;
    }

    private static async Task RunClientAsync(IPEndPoint endPoint, int client, int iterations, long start, long deadline, Tally tally)
    {
        double interval = 1000.0 * Clients / ConnectionsPerSecond;
        for (int i = 0; i < iterations && Environment.TickCount64 < deadline; i++)
        {
            long ahead = start + (long)(i * interval) - Environment.TickCount64;
            if (ahead > 0)
            {
                await Task.Delay((int)ahead);
            }

            int kind = (i + client) % 10;
            tally.Connected();
            try
            {
                using var timeout = new CancellationTokenSource(OperationTimeout);
                await (kind switch
                {
                    0 => BrokenFramingAsync(endPoint, i, tally),
                    1 => BadContentThenGoodAsync(endPoint, i, tally),
                    2 => ResetMidFrameAsync(endPoint, i),
                    3 => ResetAfterRequestAsync(endPoint, i),
                    _ => GoodRequestsAsync(endPoint, i, 1 + (i % 4), tally),
                }).WaitAsync(timeout.Token);
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ProtocolException or JsonException)
            {
                tally.Fail($"client {client} iteration {i} (kind {kind}): {e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>A few pipelined searches, each answer checked, then a graceful close.</summary>
    private static async Task GoodRequestsAsync(IPEndPoint endPoint, int iteration, int count, Tally tally)
    {
        await using RawClient client = await RawClient.ConnectAsync(endPoint);
        var requests = new List<byte>();
        for (int r = 0; r < count; r++)
        {
            requests.AddRange(Search(Key(iteration + r)));
        }

        await client.SendAsync([.. requests]);
        for (int r = 0; r < count; r++)
        {
            CheckAnswer(await client.ReadJsonAsync(), Key(iteration + r), tally);
        }

        client.Socket.Shutdown(SocketShutdown.Send);
        Expect(await client.IsClosedByServerAsync(OperationTimeout), "the server closes after the client's FIN", tally);
    }

    /// <summary>A good request, then a frame with a zero header length: error frame, then the server closes.</summary>
    private static async Task BrokenFramingAsync(IPEndPoint endPoint, int iteration, Tally tally)
    {
        await using RawClient client = await RawClient.ConnectAsync(endPoint);
        await client.SendAsync([.. Search(Key(iteration)), 0, 0]);
        CheckAnswer(await client.ReadJsonAsync(), Key(iteration), tally);
        string error = await client.ReadJsonAsync();
        Expect(error.Contains("\"code\": \"header_length_invalid\"", StringComparison.Ordinal), "header_length_invalid: " + error, tally);
        Expect(await client.IsClosedByServerAsync(OperationTimeout), "the server closes after broken framing", tally);
    }

    /// <summary>Content that is not JSON in an intact frame: an error frame, and the connection still serves.</summary>
    private static async Task BadContentThenGoodAsync(IPEndPoint endPoint, int iteration, Tally tally)
    {
        await using RawClient client = await RawClient.ConnectAsync(endPoint);
        await client.SendAsync([.. Frames.Json("{\"action\": \"search\", "), .. Search(Key(iteration))]);
        string error = await client.ReadJsonAsync();
        Expect(error.Contains("\"code\": \"content_not_json\"", StringComparison.Ordinal), "content_not_json: " + error, tally);
        CheckAnswer(await client.ReadJsonAsync(), Key(iteration), tally);
    }

    /// <summary>Half a frame, then a reset: nobody to answer.</summary>
    private static async Task ResetMidFrameAsync(IPEndPoint endPoint, int iteration)
    {
        RawClient client = await RawClient.ConnectAsync(endPoint);
        byte[] request = Search(Key(iteration));
        await client.SendAsync(request[..(request.Length / 2)]);
        Abort(client);
    }

    /// <summary>A whole request, then a reset before the answer is read.</summary>
    private static async Task ResetAfterRequestAsync(IPEndPoint endPoint, int iteration)
    {
        RawClient client = await RawClient.ConnectAsync(endPoint);
        await client.SendAsync(Search(Key(iteration)));
        Abort(client);
    }

    private static void Abort(RawClient client)
    {
        // Linger 0: close sends RST instead of FIN.
        client.Socket.LingerState = new LingerOption(true, 0);
        client.Socket.Close();
    }

    private static string Key(int n) => Keys[n % Keys.Length];

    private static byte[] Search(string key) =>
        Frames.Json("{\"action\": \"search\", \"value\": " + JsonSerializer.Serialize(key) + "}");

    private static void CheckAnswer(string json, string key, Tally tally)
    {
        string? result = JsonDocument.Parse(json).RootElement.GetProperty("result").GetString();
        bool right = Framewire.Apps.SearchHandler.DefaultTable.TryGetValue(key, out string? answer)
            ? result == answer
            : result == $"No match for '{key}'.";
        Expect(right, $"search {key}: {json}", tally);
        if (right)
        {
            tally.Answered();
        }
    }

    private static void Expect(bool condition, string what, Tally tally)
    {
        if (!condition)
        {
            tally.Fail(what);
        }
    }

    private static async Task WaitForActiveConnectionsAsync(int metricsPort, int expected)
    {
        string line = string.Empty;
        long deadline = Environment.TickCount64 + (long)SettleTimeout.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            line = await ScrapeActiveAsync(metricsPort);
            if (line.EndsWith(" " + expected.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"active connections did not return to {expected}: {line}");
    }

    private static async Task<string> ScrapeActiveAsync(int metricsPort)
    {
        // A fresh client each time, so no keep-alive connection stays open in the server between scrapes.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.ConnectionClose = true;
        string text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("framewire_connections_active{", StringComparison.Ordinal))
            {
                return line;
            }
        }

        return "(no framewire_connections_active yet)";
    }

    private static int Descriptors(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    // What the descriptors are, by kind (files, socket, pipe, anon_inode:[eventpoll]…), for failure messages.
    private static string DescriptorKinds(int pid)
    {
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (string entry in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            string target;
            try
            {
                target = new FileInfo(entry).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                continue;
            }

            int bracket = target.IndexOf(":[", StringComparison.Ordinal);
            string kind = target.StartsWith('/') ? "files" : target.StartsWith("anon_inode:", StringComparison.Ordinal) || bracket < 0 ? target : target[..bracket];
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }

        return string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"));
    }

    // Descriptors the runtime opens lazily show up early; the baseline is taken once two reads 200 ms apart agree.
    private static async Task<int> WaitForStableDescriptorsAsync(int pid)
    {
        int previous = Descriptors(pid);
        for (int i = 0; i < 25; i++)
        {
            await Task.Delay(200);
            int current = Descriptors(pid);
            if (current == previous)
            {
                return current;
            }

            previous = current;
        }

        return previous;
    }

    private static async Task<int> WaitForDescriptorsAsync(int pid, int limit)
    {
        int count = Descriptors(pid);
        long deadline = Environment.TickCount64 + (long)SettleTimeout.TotalMilliseconds;
        while (count > limit && Environment.TickCount64 < deadline)
        {
            await Task.Delay(200);
            count = Descriptors(pid);
        }

        return count;
    }

    private static long ResidentBytes(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                // "VmRSS:     123456 kB"
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidDataException($"/proc/{pid}/status has no VmRSS line.");
    }

    // The runtime returns freed memory to the system lazily: give it a moment rather than sampling once.
    private static async Task<long> WaitForResidentAsync(int pid, long limit)
    {
        long resident = ResidentBytes(pid);
        long deadline = Environment.TickCount64 + (long)SettleTimeout.TotalMilliseconds;
        while (resident > limit && Environment.TickCount64 < deadline)
        {
            await Task.Delay(250);
            resident = ResidentBytes(pid);
        }

        return resident;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>What the clients saw, shared between them.</summary>
    private sealed class Tally
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _failures = new();
        private int _requests;
        private int _connections;

        public int Requests => Volatile.Read(ref _requests);

        public System.Collections.Concurrent.ConcurrentQueue<string> Failures => _failures;

        public int Connections => Volatile.Read(ref _connections);

        public void Answered() => Interlocked.Increment(ref _requests);

        public void Connected() => Interlocked.Increment(ref _connections);

        public void Fail(string what) => _failures.Enqueue(what);
    }
}
