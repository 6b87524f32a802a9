using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace Framewire.Protocol;

/// <summary>
/// Writes JSON exactly as Python's <c>json.dumps(obj, ensure_ascii=False)</c> does: <c>", "</c> between items,
/// <c>": "</c> after keys, non-ASCII as raw UTF-8, and only <c>"</c>, <c>\</c> and control characters escaped
/// (<c>\n \r \t \b \f</c> by name, the rest as lower-case <c>\u00xx</c>). Frames written this way are
/// byte-identical to what the tutorial's Python programs send.
/// </summary>
/// <remarks>
/// The writer does not check that the JSON it produces is well nested; it tracks only whether the next item
/// needs a separator, up to 64 levels.
/// </remarks>
public ref struct PythonJsonWriter
{
    private const int MaxDepth = 64;

    private readonly IBufferWriter<byte> _output;

    // Bit n is set when the container at depth n already holds an item; depth 0 is the top level.
    private ulong _hasItems;
    private int _depth;
    private bool _afterPropertyName;

    /// <summary>Creates a writer that appends to <paramref name="output"/>.</summary>
    public PythonJsonWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Writes <c>{</c>.</summary>
    public void WriteStartObject() => WriteStartContainer((byte)'{');

    /// <summary>Writes <c>}</c>.</summary>
    public void WriteEndObject() => WriteEndContainer((byte)'}');

    /// <summary>Writes <c>[</c>.</summary>
    public void WriteStartArray() => WriteStartContainer((byte)'[');

    /// <summary>Writes <c>]</c>.</summary>
    public void WriteEndArray() => WriteEndContainer((byte)']');

    /// <summary>Writes a key and <c>": "</c>.</summary>
    public void WritePropertyName(scoped ReadOnlySpan<char> name)
    {
        WriteSeparator();
        WriteEscaped(_output, name);
        WriteRaw(": "u8);
        _afterPropertyName = true;
    }

    /// <summary>Writes a string value given as UTF-16.</summary>
    public void WriteStringValue(scoped ReadOnlySpan<char> value)
    {
        WriteSeparator();
        WriteEscaped(_output, value);
    }

    /// <summary>Writes a string value given as UTF-8 (which must be valid UTF-8).</summary>
    public void WriteStringValue(scoped ReadOnlySpan<byte> utf8Value)
    {
        WriteSeparator();
        WriteEscaped(_output, utf8Value);
    }

    /// <summary>Writes an integer.</summary>
    public void WriteNumberValue(long value)
    {
        WriteSeparator();
        Span<byte> span = _output.GetSpan(20);
        value.TryFormat(span, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        _output.Advance(written);
    }

    /// <summary>Writes <c>true</c> or <c>false</c>.</summary>
    public void WriteBooleanValue(bool value)
    {
        WriteSeparator();
        WriteRaw(value ? "true"u8 : "false"u8);
    }

    /// <summary>Writes <c>null</c>.</summary>
    public void WriteNullValue()
    {
        WriteSeparator();
        WriteRaw("null"u8);
    }

    /// <summary>Writes a value that is already JSON text (for example a custom header kept raw).</summary>
    public void WriteRawValue(scoped ReadOnlySpan<char> json)
    {
        WriteSeparator();
        Span<byte> span = _output.GetSpan(Encoding.UTF8.GetMaxByteCount(json.Length));
        _output.Advance(Encoding.UTF8.GetBytes(json, span));
    }

    /// <summary><paramref name="value"/> as a JSON string literal, quotes included, as Python writes it.</summary>
    public static string ToJsonString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var buffer = new ArrayBufferWriter<byte>(value.Length + 2);
        WriteEscaped(buffer, value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The UTF-8 length of <paramref name="value"/> as an escaped JSON string literal, quotes included.</summary>
    internal static int GetEscapedLength(ReadOnlySpan<char> value)
    {
        int length = 2;
        int runStart = 0;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (NeedsEscape(c))
            {
                length += Encoding.UTF8.GetByteCount(value[runStart..i]) + EscapeLength(c);
                runStart = i + 1;
            }
        }

        return length + Encoding.UTF8.GetByteCount(value[runStart..]);
    }

    /// <summary>Writes <paramref name="value"/> as an escaped JSON string literal into <paramref name="destination"/>; returns the bytes written.</summary>
    internal static int WriteEscaped(ReadOnlySpan<char> value, Span<byte> destination)
    {
        destination[0] = (byte)'"';
        int written = 1;
        int runStart = 0;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (NeedsEscape(c))
            {
                written += Encoding.UTF8.GetBytes(value[runStart..i], destination[written..]);
                written += WriteEscape(c, destination[written..]);
                runStart = i + 1;
            }
        }

        written += Encoding.UTF8.GetBytes(value[runStart..], destination[written..]);
        destination[written++] = (byte)'"';
        return written;
    }

    private static void WriteEscaped(IBufferWriter<byte> output, ReadOnlySpan<char> value)
    {
        // Worst case per UTF-16 char: 6 bytes (\u00xx); a lone surrogate becomes 3 bytes (U+FFFD).
        Span<byte> span = output.GetSpan((value.Length * 6) + 2);
        output.Advance(WriteEscaped(value, span));
    }

    private static void WriteEscaped(IBufferWriter<byte> output, ReadOnlySpan<byte> utf8)
    {
        Span<byte> span = output.GetSpan((utf8.Length * 6) + 2);
        span[0] = (byte)'"';
        int written = 1;
        int runStart = 0;
        for (int i = 0; i < utf8.Length; i++)
        {
            byte b = utf8[i];

            // Every byte of a multi-byte UTF-8 sequence is >= 0x80, so escapes are found byte by byte.
            if (b < 0x80 && NeedsEscape((char)b))
            {
                utf8[runStart..i].CopyTo(span[written..]);
                written += i - runStart;
                written += WriteEscape((char)b, span[written..]);
                runStart = i + 1;
            }
        }

        utf8[runStart..].CopyTo(span[written..]);
        written += utf8.Length - runStart;
        span[written++] = (byte)'"';
        output.Advance(written);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool NeedsEscape(char c) => c < 0x20 || c == '"' || c == '\\';

    private static int EscapeLength(char c) => c is '"' or '\\' or '\n' or '\r' or '\t' or '\b' or '\f' ? 2 : 6;

    private static int WriteEscape(char c, Span<byte> destination)
    {
        destination[0] = (byte)'\\';
        byte named = c switch
        {
            '"' => (byte)'"',
            '\\' => (byte)'\\',
            '\n' => (byte)'n',
            '\r' => (byte)'r',
            '\t' => (byte)'t',
            '\b' => (byte)'b',
            '\f' => (byte)'f',
            _ => 0,
        };
        if (named != 0)
        {
            destination[1] = named;
            return 2;
        }

        // Python writes the remaining control characters as \u00xx with lower-case hex digits.
        "u00"u8.CopyTo(destination[1..]);
        destination[4] = HexDigit(c >> 4);
        destination[5] = HexDigit(c & 0xF);
        return 6;
    }

    private static byte HexDigit(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    private void WriteStartContainer(byte open)
    {
        WriteSeparator();
        if (_depth == MaxDepth - 1)
        {
            ThrowTooDeep();
        }

        _depth++;
        _hasItems &= ~(1UL << _depth);
        _output.GetSpan(1)[0] = open;
        _output.Advance(1);
    }

    private void WriteEndContainer(byte close)
    {
        if (_depth == 0)
        {
            ThrowNotInContainer();
        }

        _depth--;
        _output.GetSpan(1)[0] = close;
        _output.Advance(1);
    }

    private void WriteSeparator()
    {
        if (_afterPropertyName)
        {
            _afterPropertyName = false;
            return;
        }

        ulong bit = 1UL << _depth;
        if ((_hasItems & bit) != 0)
        {
            WriteRaw(", "u8);
        }

        _hasItems |= bit;
    }

    private readonly void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_output.GetSpan(bytes.Length));
        _output.Advance(bytes.Length);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooDeep() => throw new InvalidOperationException($"JSON nesting deeper than {MaxDepth} levels.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotInContainer() => throw new InvalidOperationException("WriteEnd called with no open object or array.");
}
