using System.Buffers;
using System.Text;
using Framewire.Apps;
using Framewire.Client;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Engines.Conformance;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>The content-checksum header between our servers and clients, over loopback, on every engine.</summary>
public sealed class ContentChecksumTests
{
    private const string Search = "{\"action\": \"search\", \"value\": \"ring\"}";

    [Theory]
    [OnEveryEngine(ChecksumAlgorithm.Crc32C)]
    [OnEveryEngine(ChecksumAlgorithm.Sha256)]
    public async Task Request_MatchingChecksum_Answered(ServerEngine engine, ChecksumAlgorithm algorithm)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Frames.JsonWithChecksum(Search, Frames.Checksum(algorithm, Encoding.UTF8.GetBytes(Search))));

        Assert.Contains("Misty Mountains", await client.ReadJsonAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [OnEveryEngine("crc32c:00000000", ErrorCode.ChecksumMismatch)]
    [OnEveryEngine("md5:25f9e794323b453885f5181f1b624d0b", ErrorCode.ChecksumInvalid)]
    [OnEveryEngine("crc32c:XYZ", ErrorCode.ChecksumInvalid)]
    public async Task Request_WrongOrMalformedChecksum_RefusedAndTheConnectionGoesOn(ServerEngine engine, string value, ErrorCode code)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Frames.JsonWithChecksum(Search, value));
        string refused = await client.ReadJsonAsync();
        await client.SendAsync(Frames.Json(Search));

        Assert.Contains($"\"code\": \"{new ProtocolError(code, "").WireCode}\"", refused, StringComparison.Ordinal);
        Assert.Contains(value, refused, StringComparison.Ordinal);
        Assert.Contains("Misty Mountains", await client.ReadJsonAsync(), StringComparison.Ordinal);
        Assert.Equal(1, server.Server.GetStatistics().Errors[code]);
    }

    // Found by the checksum fuzz target: reading the value as a string threw for a lone surrogate escape.
    [Theory]
    [OnEveryEngine]
    public async Task Request_ChecksumEscapingALoneSurrogate_ChecksumInvalidAndTheConnectionGoesOn(ServerEngine engine)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        await client.SendAsync(Frames.JsonWithChecksum(Search, "crc32c:\\ud800"));
        string refused = await client.ReadJsonAsync();
        await client.SendAsync(Frames.Json(Search));

        Assert.Contains("\"code\": \"checksum_invalid\"", refused, StringComparison.Ordinal);
        Assert.Contains("Misty Mountains", await client.ReadJsonAsync(), StringComparison.Ordinal);
        Assert.Equal(1, server.Server.GetStatistics().Errors[ErrorCode.ChecksumInvalid]);
    }

    [Theory]
    [OnEveryEngine(ChecksumAlgorithm.Crc32C)]
    [OnEveryEngine(ChecksumAlgorithm.Sha256)]
    public async Task Server_WithChecksum_EveryKindOfAnswerCarriesAValidOne(ServerEngine engine, ChecksumAlgorithm algorithm)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: engine, configure: o => o.Checksum = algorithm);
        await using RawClient client = await RawClient.ConnectAsync(server.EndPoint);

        // A cached search answer, a binary answer built per request, and an error frame.
        await client.SendAsync(Frames.Json(Search));
        await client.SendAsync(Frames.Binary("helloworld"u8));
        await client.SendAsync(Frames.JsonWithChecksum(Search, "crc32c:00000000"));

        foreach (string expected in new[] { "Misty Mountains", "First 10 bytes", "checksum_mismatch" })
        {
            (FrameHeader header, byte[] content) = await client.ReadFrameAsync();
            string? value = Assert.Single(header.CustomHeaders).StringValue;
            Assert.StartsWith(algorithm == ChecksumAlgorithm.Crc32C ? "crc32c:" : "sha256:", value, StringComparison.Ordinal);
            Assert.True(ContentChecksum.TryVerify(value, new ReadOnlySequence<byte>(content), out ProtocolError error), error.Message);
            Assert.Contains(expected, Encoding.UTF8.GetString(content), StringComparison.Ordinal);
        }
    }

    [Theory]
    [OnEveryEngine(ChecksumAlgorithm.Crc32C)]
    [OnEveryEngine(ChecksumAlgorithm.Sha256)]
    public async Task Client_WithChecksum_RequestCarriesOneTheServerVerifies(ServerEngine engine, ChecksumAlgorithm algorithm)
    {
        string? received = null;
        var handler = new DelegateHandler(context =>
        {
            received = context.Request.Header.GetCustomHeader(ContentChecksum.HeaderName);
            context.Respond("binary", "binary", "ok"u8);
            return ValueTask.CompletedTask;
        });
        await using RunningServer server = await RunningServer.StartAsync(handler, engine: engine);
        await using MessageClient client = await MessageClient.ConnectAsync(server.EndPoint, new MessageClientOptions { Checksum = algorithm });

        Response response = await client.SendAsync(Request.Json("search", "ring"));

        Assert.Equal("ok"u8.ToArray(), response.Content.ToArray());
        Assert.NotNull(received);
        Assert.True(ContentChecksum.TryVerify(new HeaderField(ContentChecksum.HeaderName, received), new ReadOnlySequence<byte>(Request.Json("search", "ring").Content), out _));
    }

    [Theory]
    [OnEveryEngine]
    public async Task Client_CorruptAnswer_ThatRequestFailsWithChecksumMismatchTheNextIsServed(ServerEngine engine)
    {
        int requests = 0;
        var handler = new DelegateHandler(context =>
        {
            // The first answer claims the checksum of other content.
            HeaderField[]? lie = Interlocked.Increment(ref requests) == 1 ? [HeaderField.FromString(ContentChecksum.HeaderName, "crc32c:00000000")] : null;
            context.Respond("binary", "binary", "answer"u8, lie);
            return ValueTask.CompletedTask;
        });
        await using RunningServer server = await RunningServer.StartAsync(handler, engine: engine);
        await using MessageClient client = await MessageClient.ConnectAsync(server.EndPoint);

        ProtocolException refused = await Assert.ThrowsAsync<ProtocolException>(() => client.SendAsync(Request.Json("search", "a")));
        Response next = await client.SendAsync(Request.Json("search", "b"));

        Assert.Equal(ErrorCode.ChecksumMismatch, refused.Code);
        Assert.Contains("crc32c:00000000", refused.Message, StringComparison.Ordinal);
        Assert.Equal("answer"u8.ToArray(), next.Content.ToArray());
    }
}
