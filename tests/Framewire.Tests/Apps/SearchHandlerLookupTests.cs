using System.Buffers;
using System.Text;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Engines.Internal;
using Framewire.Internal;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Apps;

/// <summary>
/// The tutorial client's exact request shape is answered without the JSON reader; every other way of writing the same
/// request must get the same bytes back, hit or miss.
/// </summary>
public sealed class SearchHandlerLookupTests : IDisposable
{
    private static readonly Dictionary<string, string> Table = new(StringComparer.Ordinal)
    {
        ["morpheus"] = "Follow the white rabbit. \U0001f430",
        ["a b'c{}:,"] = "punctuation",
        ["caf\u00e9"] = "non-ASCII key",
        ["\U0001f436"] = "emoji key",
        [""] = "empty key",
        ["a\\"] = "backslash key",
    };

    private readonly WorkerPool _workers = new(threadCount: 1, queueLength: 1);
    private readonly SearchHandler _handler = new(Table);

    public void Dispose() => _workers.Dispose();

    [Theory]
    [InlineData("morpheus")]
    [InlineData("a b'c{}:,")]
    [InlineData("caf\u00e9")]
    [InlineData("\U0001f436")]
    [InlineData("")]
    [InlineData("missing")]
    [InlineData("morpheus ")]
    [InlineData("a\\")]
    public void Search_AnySpellingOfTheRequest_GetsTheSameAnswer(string key)
    {
        string quoted = System.Text.Json.JsonSerializer.Serialize(key);
        string asciiEscaped = EscapeAll(key);
        byte[] canonical = Answer($"{{\"action\": \"search\", \"value\": {quoted}}}");

        Assert.Equal(canonical, Answer($"{{\"value\": {quoted}, \"action\": \"search\"}}"));
        Assert.Equal(canonical, Answer($"{{\"action\": \"search\", \"value\": \"{asciiEscaped}\"}}"));
        Assert.Equal(canonical, Answer($"{{\"action\":\"search\",\"value\":{quoted}}}"));
        Assert.Equal(canonical, Answer($"{{\"action\": \"search\", \"value\": \"x\", \"value\": {quoted}}}"));
        string expected = Table.TryGetValue(key, out string? answer) ? answer : $"No match for '{key}'.";
        Assert.Equal(expected, ResultOf(canonical));
    }

    [Fact]
    public void Search_RawUtf8Key_IsFoundAsWhenEscaped()
    {
        byte[] raw = Answer("{\"action\": \"search\", \"value\": \"caf\u00e9\"}");

        Assert.Equal("non-ASCII key", ResultOf(raw));
    }

    [Fact]
    public void Search_UnterminatedStringThatLooksLikeAKey_IsRefusedAsNotJson()
    {
        // The bytes between the quotes are a table key, but the backslash escapes the closing quote.
        byte[] answer = Answer("{\"action\": \"search\", \"value\": \"a\\\"}");

        var input = new ReadOnlySequence<byte>(answer);
        Assert.Equal(DecodeStatus.Frame, new FrameDecoder().Decode(ref input, out Frame decoded, out _));
        Assert.Contains("content_not_json", Encoding.UTF8.GetString(decoded.Content.ToArray()), StringComparison.Ordinal);
    }

    private static string EscapeAll(string text)
    {
        var escaped = new StringBuilder();
        foreach (char c in text)
        {
            escaped.Append($"\\u{(int)c:x4}");
        }

        return escaped.ToString();
    }

    private static string ResultOf(byte[] frame)
    {
        var input = new ReadOnlySequence<byte>(frame);
        Assert.Equal(DecodeStatus.Frame, new FrameDecoder().Decode(ref input, out Frame decoded, out _));
        using var document = System.Text.Json.JsonDocument.Parse(decoded.Content);
        return document.RootElement.GetProperty("result").GetString()!;
    }

    private byte[] Answer(string requestJson)
    {
        InMemoryApplication connection = InMemoryApplication.Create(_handler, _workers);
        var input = new ReadOnlySequence<byte>(Frames.Json(requestJson));

        Assert.Equal(ProcessStatus.NeedMoreData, connection.Process(ref input));

        return connection.Written.WrittenSpan.ToArray();
    }
}
