using System.Buffers;
using System.Text;
using Framewire.Protocol;

namespace Framewire.Tests.Protocol;

public class PythonJsonWriterTests
{
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("q\"uo\\te", "\"q\\\"uo\\\\te\"")]
    [InlineData("a\nb\tc\rd\be\ff", "\"a\\nb\\tc\\rd\\be\\ff\"")]
    [InlineData("\u0001\u001f", "\"\\u0001\\u001f\"")]
    [InlineData("\u007f", "\"\u007f\"")]
    [InlineData("caf\u00e9 \U0001f430", "\"caf\u00e9 \U0001f430\"")]
    [InlineData("/", "\"/\"")]
    public void ToJsonString_EscapesAsPythonDoes(string value, string expected)
    {
        Assert.Equal(expected, PythonJsonWriter.ToJsonString(value));
    }

    [Fact]
    public void Writer_NestedValues_UsesPythonSeparators()
    {
        var output = new ArrayBufferWriter<byte>();
        var json = new PythonJsonWriter(output);
        json.WriteStartObject();
        json.WritePropertyName("a");
        json.WriteNumberValue(-1);
        json.WritePropertyName("b");
        json.WriteStartArray();
        json.WriteBooleanValue(true);
        json.WriteNullValue();
        json.WriteStartObject();
        json.WriteEndObject();
        json.WriteStartArray();
        json.WriteEndArray();
        json.WriteEndArray();
        json.WritePropertyName("c");
        json.WriteStringValue("d\u00e9"u8);
        json.WriteEndObject();

        Assert.Equal("{\"a\": -1, \"b\": [true, null, {}, []], \"c\": \"d\u00e9\"}", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Writer_Utf8AndUtf16Strings_EscapeIdentically()
    {
        const string Text = "x\"\\\n\u0002\u00e9\U0001f436";
        var fromChars = new ArrayBufferWriter<byte>();
        var fromBytes = new ArrayBufferWriter<byte>();
        new PythonJsonWriter(fromChars).WriteStringValue(Text);
        new PythonJsonWriter(fromBytes).WriteStringValue(Encoding.UTF8.GetBytes(Text));

        Assert.Equal(fromChars.WrittenSpan.ToArray(), fromBytes.WrittenSpan.ToArray());
    }
}
