using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Framewire.Client;
using Framewire.Engines;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Apps;

/// <summary>Part of the engine-conformance suite: every test runs on every engine in <see cref="Framewire.Tests.Engines.Conformance.ConformanceEngines"/>.</summary>
public sealed class SearchHandlerHashTests
{

    [Theory]
    [OnEveryEngine("abc", 1)]
    [OnEveryEngine("caf\u00e9", 3)]
    public async Task Hash_AnswersRepeatedSha256(ServerEngine engine, string value, int rounds)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Frames.Json($"{{\"action\": \"hash\", \"value\": \"{value}\", \"rounds\": {rounds}}}"));

        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes(value));
        for (int i = 1; i < rounds; i++)
        {
            digest = SHA256.HashData(digest);
        }

        Assert.Equal($"{{\"result\": \"{Convert.ToHexStringLower(digest)}\"}}", await client.ReadJsonAsync());
    }

    [Theory]
    [OnEveryEngine("{\"action\": \"hash\"}")]
    [OnEveryEngine("{\"action\": \"hash\", \"value\": 1}")]
    [OnEveryEngine("{\"action\": \"hash\", \"value\": \"x\", \"rounds\": 0}")]
    [OnEveryEngine("{\"action\": \"hash\", \"value\": \"x\", \"rounds\": 1000001}")]
    [OnEveryEngine("{\"action\": \"hash\", \"value\": \"x\", \"rounds\": 2.5}")]
    [OnEveryEngine("{\"action\": \"hash\", \"value\": \"\\ud800\"}")]
    public async Task Hash_BadArguments_InvalidRequestAndConnectionKept(ServerEngine engine, string request)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Frames.Json(request));
        Assert.Contains("\"code\": \"invalid_request\"", await client.ReadJsonAsync(), StringComparison.Ordinal);

        await client.SendAsync(Frames.Json("{\"action\": \"search\", \"value\": \"ring\"}"));
        Assert.Contains("Misty", await client.ReadJsonAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [OnEveryEngine]
    public async Task Hash_WorkerQueueFull_ServerBusy(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(configure: o =>
        {
            o.WorkerThreads = 1;
            o.WorkerQueueLength = 1;
        }, engine: engine);
        var clients = new List<MessageClient>();
        try
        {
            // One worker and a queue of one: of three simultaneous requests (each a tenth of a second or more of
            // work) at most two are taken, depending on whether the worker has dequeued the first yet.
            // All connect first, so the three requests go out back to back, well within the first one's work.
            for (int i = 0; i < 3; i++)
            {
                clients.Add(await MessageClient.ConnectAsync(server.EndPoint));
            }

            var answers = new List<Task<Response>>();
            foreach (MessageClient client in clients)
            {
                answers.Add(client.SendAsync(Request.Json("hash", "x") with { Content = Encoding.UTF8.GetBytes("{\"action\": \"hash\", \"value\": \"x\", \"rounds\": 1000000}") }));
            }

            Response[] responses = await Task.WhenAll(answers);
            int busy = 0;
            foreach (Response response in responses)
            {
                if (response.TryGetError(out var error))
                {
                    Assert.Equal(Framewire.Protocol.ErrorCode.ServerBusy, error.Code);
                    busy++;
                }
            }

            Assert.InRange(busy, 1, 2);
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
    [OnEveryEngine]
    public async Task Search_WhileHashSaturatesWorkers_StillAnsweredPromptly(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(configure: o => o.WorkerThreads = 2, engine: engine);
        var hashers = new List<MessageClient>();
        try
        {
            var hashing = new List<Task<Response>>();
            for (int i = 0; i < 4; i++)
            {
                MessageClient hasher = await MessageClient.ConnectAsync(server.EndPoint);
                hashers.Add(hasher);
                hashing.Add(hasher.SendAsync(new Request("text/json", "utf-8", Encoding.UTF8.GetBytes("{\"action\": \"hash\", \"value\": \"load\", \"rounds\": 1000000}"))));
            }

            await using MessageClient searcher = await MessageClient.ConnectAsync(server.EndPoint);
            var slowest = TimeSpan.Zero;
            for (int i = 0; i < 20; i++)
            {
                var watch = Stopwatch.StartNew();
                Response response = await searcher.SearchAsync("ring");
                slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
                Assert.Contains("Misty", response.GetResultText(), StringComparison.Ordinal);
            }

            // The hashes take seconds of CPU; searches must not queue behind them.
            Assert.Contains(hashing, t => !t.IsCompleted);
            Assert.True(slowest < TimeSpan.FromMilliseconds(500), $"slowest search took {slowest.TotalMilliseconds} ms");
            await Task.WhenAll(hashing);
        }
        finally
        {
            foreach (MessageClient hasher in hashers)
            {
                await hasher.DisposeAsync();
            }
        }
    }
}
