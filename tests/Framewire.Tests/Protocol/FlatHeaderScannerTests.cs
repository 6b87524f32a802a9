using System.Text;
using CsCheck;
using Framewire.Protocol;
using Framewire.Protocol.Internal;
using Framewire.Tests.Support;

namespace Framewire.Tests.Protocol;

/// <summary>
/// The flat-header fast path must never change a decoding result: whatever it accepts, the full JSON parser accepts
/// with the same header; whatever it declines goes to the full parser unchanged.
/// </summary>
public class FlatHeaderScannerTests
{
    private const int MaxContent = 1_000_000;

    private static readonly string[] Keys = ["byteorder", "content-type", "content-encoding", "content-length"];

    private static readonly Gen<string> GenValue = Gen.OneOf(
        Gen.Const("little"), Gen.Const("big"), Gen.Const("text/json"), Gen.Const("utf-8"), Gen.Const("binary"),
        Gen.String[Gen.Char['!', '~'], 0, 12]);

    private static readonly Gen<string> GenSpaces = Gen.OneOf(Gen.Const(""), Gen.Const(" "), Gen.Const("  "));

    // Headers of the four keys in any order, Python-style or with other spacing, with printable values.
    private static readonly Gen<string> GenAnyFlatHeader =
        Gen.Select(Gen.Shuffle(Keys), GenValue.Array[3], Gen.Int[0, 2_000_000], GenSpaces.Array[3])
            .Select((keys, values, length, spaces) => Header(keys, values, length, spaces[0], "," + spaces[1], spaces[2] + ":" + spaces[1]));

    // Headers as Python's json.dumps writes the tutorial's dict: its key order and separators.
    private static readonly Gen<string> GenPythonHeader =
        Gen.Select(GenValue.Array[3], Gen.Int[0, 2_000_000]).Select((values, length) => Header(Keys, values, length, "", ", ", ": "));

    private static string Header(string[] keys, string[] values, int length, string open, string comma, string colon)
    {
        var json = new StringBuilder("{").Append(open);
        int valueIndex = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            if (i > 0)
            {
                json.Append(comma);
            }

            json.Append('"').Append(keys[i]).Append('"').Append(colon);
            if (keys[i] == "content-length")
            {
                json.Append(length);
            }
            else
            {
                string value = values[valueIndex++];
                json.Append('"').Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
            }
        }

        return json.Append('}').ToString();
    }

    [Fact]
    public void TryScan_PythonRequestHeader_ReadsItWithoutTheJsonReader()
    {
        byte[] json = """{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 41}"""u8.ToArray();

        Assert.True(FlatHeaderScanner.TryScan(json, MaxContent, out FrameHeader header));

        Assert.Equal(("little", "text/json", "utf-8", 41), (header.ByteOrder, header.ContentType, header.ContentEncoding, header.ContentLength));
    }

    [Theory]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 41, "x": 1}""")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8"}""")]
    [InlineData("""{"byteorder": "little", "byteorder": "big", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 1}""")]
    [InlineData("""{"byteorder": "l\u0069ttle", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 1}""")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 01}""")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 1.0}""")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 1e3}""")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": -1}""")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 9007199254740992}""")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 1000001}""")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": "1"}""")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 1} """)]
    [InlineData("""{"byteorder":	"little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 1}""")]
    [InlineData("""{"byteorder": "lïttle", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 1}""")]
    [InlineData("""{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 1,}""")]
    [InlineData("""{"content-type": "text/json", "byteorder": "little", "content-encoding": "utf-8", "content-length": 1}""")]
    [InlineData("""{"byteorder":"little","content-type":"text/json","content-encoding":"utf-8","content-length":1}""")]
    public void TryScan_AnythingButAPlainFlatHeader_IsLeftToTheFullParser(string json)
    {
        Assert.False(FlatHeaderScanner.TryScan(Encoding.UTF8.GetBytes(json), MaxContent, out _));
    }

    [Fact]
    public void TryScan_PythonHeaders_TakesEveryOneTheFullParserAcceptsWithoutEscapes()
    {
        GenPythonHeader.Sample(json =>
        {
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            bool full = HeaderParser.TryParseAnyJson(bytes, MaxContent, out FrameHeader expected, out _);

            bool fast = FlatHeaderScanner.TryScan(bytes, MaxContent, out FrameHeader actual);

            // Every such header the full parser accepts takes the fast path unless a value needed an escape.
            Assert.Equal(full && !json.Contains('\\', StringComparison.Ordinal), fast);
            if (fast)
            {
                AssertSameHeader(expected, actual);
            }
        }, iter: 2000);
    }

    [Fact]
    public void TryScan_MutatedHeaders_NeverAcceptsWhatTheFullParserRefusesOrReadsDifferently()
    {
        Gen.Select(Gen.OneOf(GenPythonHeader, GenAnyFlatHeader), ByteMutations.Gen).Sample((json, mutations) =>
        {
            byte[] mutated = ByteMutations.Apply(Encoding.UTF8.GetBytes(json), mutations);
            if (FlatHeaderScanner.TryScan(mutated, MaxContent, out FrameHeader fast))
            {
                Assert.True(HeaderParser.TryParseAnyJson(mutated, MaxContent, out FrameHeader full, out ProtocolError error), error.Message);
                AssertSameHeader(full, fast);
            }
        }, iter: 5000);
    }

    private static void AssertSameHeader(FrameHeader expected, FrameHeader actual)
    {
        Assert.Equal(expected.ByteOrder, actual.ByteOrder);
        Assert.Equal(expected.ContentType, actual.ContentType);
        Assert.Equal(expected.ContentEncoding, actual.ContentEncoding);
        Assert.Equal(expected.ContentLength, actual.ContentLength);
        Assert.Equal(expected.CustomHeaders?.Count ?? 0, actual.CustomHeaders?.Count ?? 0);
    }
}
