using System.Text;
using Framewire.Engines;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>
/// Broken framing, row by row: each gets the error frame with its code, then the close, and a client connected
/// beside it is still served. Runs against every engine.
/// </summary>
public abstract class BadInputTests
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

    protected abstract ServerEngine Engine { get; }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task BrokenFraming_ErrorFrameThenClose_OtherClientServed(string row, byte[] input, string code)
    {
        await using RunningServer server = await RunningServer.StartAsync(engine: Engine);
        await using RawClient bystander = await RawClient.ConnectAsync(server.EndPoint);
        await using RawClient offender = await RawClient.ConnectAsync(server.EndPoint);

        await offender.SendAsync(input);
        string error = await offender.ReadJsonAsync();

        Assert.True(error.Contains($"\"code\": \"{code}\"", StringComparison.Ordinal), $"{row}: {error}");
        Assert.True(await offender.IsClosedByServerAsync(), $"{row}: the connection is closed after the error frame");
        await bystander.SendAsync(Frames.Json(Search));
        Assert.Contains("Misty Mountains", await bystander.ReadJsonAsync(), StringComparison.Ordinal);
    }

    private static string Header(string? contentLength) =>
        "{\"byteorder\": \"little\", \"content-type\": \"text/json\", \"content-encoding\": \"utf-8\""
        + (contentLength is null ? "}" : $", \"content-length\": {contentLength}}}");
}

public sealed class BadInputTestsOnAsyncEngine : BadInputTests
{
    protected override ServerEngine Engine => ServerEngine.Async;
}

public sealed class BadInputTestsOnSelectorEngine : BadInputTests
{
    protected override ServerEngine Engine => ServerEngine.Selector;
}
