using System.Buffers;
using System.Text.Json;

namespace Framewire.Apps.Internal;

/// <summary>Renders a JSON value the way Python's <c>str()</c> shows the object <c>json.loads</c> made of it.</summary>
internal static class PythonText
{
    /// <summary>
    /// Writes str(value) as UTF-8: a string as its text, <c>True</c>/<c>False</c>/<c>None</c> for the literals,
    /// a number as written, and an object or array as its JSON text (Python would show its own repr there).
    /// A missing value is Python's <c>None</c>, what <c>dict.get</c> returns.
    /// </summary>
    public static void WriteStr(IBufferWriter<byte> output, ref Utf8JsonReader value, bool hasValue)
    {
        if (!hasValue)
        {
            output.Write("None"u8);
            return;
        }

        switch (value.TokenType)
        {
            case JsonTokenType.String:
                int maxLength = value.HasValueSequence ? checked((int)value.ValueSequence.Length) : value.ValueSpan.Length;
                Span<byte> destination = output.GetSpan(maxLength);
                output.Advance(value.CopyString(destination));
                return;
            case JsonTokenType.True:
                output.Write("True"u8);
                return;
            case JsonTokenType.False:
                output.Write("False"u8);
                return;
            case JsonTokenType.Null:
                output.Write("None"u8);
                return;
            case JsonTokenType.Number:
                WriteRaw(output, ref value);
                return;
            default:
                WriteContainer(output, value);
                return;
        }
    }

    private static void WriteRaw(IBufferWriter<byte> output, ref Utf8JsonReader value)
    {
        if (value.HasValueSequence)
        {
            foreach (ReadOnlyMemory<byte> segment in value.ValueSequence)
            {
                output.Write(segment.Span);
            }
        }
        else
        {
            output.Write(value.ValueSpan);
        }
    }

    private static void WriteContainer(IBufferWriter<byte> output, Utf8JsonReader value)
    {
        using JsonDocument document = JsonDocument.ParseValue(ref value);
        using var writer = new Utf8JsonWriter(output);
        document.RootElement.WriteTo(writer);
    }
}
