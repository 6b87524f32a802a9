using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace KestrelPeer;

/// <summary>
/// The tutorial's search app with the tutorial's table. Answers are written as Python's
/// <c>json.dumps(obj, ensure_ascii=False)</c> writes them, so they are byte-identical to the tutorial's server and to
/// Framewire's. Hits are encoded once at startup, as Framewire's SearchHandler does: a hit is a lookup and a copy.
/// </summary>
internal static class SearchApp
{
    private const int StackLimit = 256;

    private static readonly Dictionary<string, string> Table = new(StringComparer.Ordinal)
    {
        ["morpheus"] = "Follow the white rabbit. \U0001f430",
        ["ring"] = "In the caves beneath the Misty Mountains. \U0001f48d",
        ["\U0001f436"] = "\U0001f43e Playing ball! \U0001f3d0",
    };

    // Every response header is these bytes, then the content length, then "}".
    private static readonly byte[] JsonHeaderStart = HeaderStart("text/json", "utf-8");
    private static readonly byte[] BinaryHeaderStart = HeaderStart("binary/custom-server-binary-type", "binary");

    // What json.dumps escapes when ensure_ascii=False: control characters, the quote and the backslash.
    private static readonly SearchValues<byte> EscapedBytes = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, (byte)'"', (byte)'\\']);

    private static readonly Dictionary<string, byte[]> Hits = EncodeHits();
    private static readonly Dictionary<string, byte[]>.AlternateLookup<ReadOnlySpan<char>> HitLookup = Hits.GetAlternateLookup<ReadOnlySpan<char>>();

    private static ReadOnlySpan<byte> ResultStart => "{\"result\": \""u8;

    private static ReadOnlySpan<byte> ResultEnd => "'.\"}"u8;

    private static ReadOnlySpan<byte> NoMatchPrefix => "No match for '"u8;

    private static ReadOnlySpan<byte> InvalidActionPrefix => "Error: invalid action '"u8;

    private static ReadOnlySpan<byte> BinaryAnswerPrefix => "First 10 bytes of request: "u8;

    public static void Answer(bool isJson, in ReadOnlySequence<byte> content, PipeWriter output)
    {
        if (isJson)
        {
            AnswerJson(content, output);
        }
        else
        {
            AnswerBinary(content, output);
        }
    }

    private static void AnswerBinary(in ReadOnlySequence<byte> request, PipeWriter output)
    {
        Span<byte> answer = stackalloc byte[BinaryAnswerPrefix.Length + 10];
        BinaryAnswerPrefix.CopyTo(answer);
        int taken = (int)Math.Min(10, request.Length);
        request.Slice(0, taken).CopyTo(answer[BinaryAnswerPrefix.Length..]);
        WriteFrame(output, BinaryHeaderStart, answer[..(BinaryAnswerPrefix.Length + taken)]);
    }

    private static void AnswerJson(in ReadOnlySequence<byte> request, PipeWriter output)
    {
        // The tutorial's client sends {"action": ..., "value": ...}; keep a reader positioned at each value.
        var json = new Utf8JsonReader(request);
        Utf8JsonReader action = default;
        Utf8JsonReader value = default;
        bool hasAction = false;
        bool hasValue = false;
        if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidDataException("the request is not a JSON object");
        }

        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            bool isAction = json.ValueTextEquals("action"u8);
            bool isValue = !isAction && json.ValueTextEquals("value"u8);
            json.Read();
            if (isAction)
            {
                action = json;
                hasAction = true;
            }
            else if (isValue)
            {
                value = json;
                hasValue = true;
            }

            json.Skip();
        }

        if (hasAction && action.TokenType == JsonTokenType.String && action.ValueTextEquals("search"u8))
        {
            if (!(hasValue && value.TokenType == JsonTokenType.String && TryWriteHit(ref value, output)))
            {
                WriteResult(NoMatchPrefix, ref value, hasValue, output);
            }
        }
        else
        {
            WriteResult(InvalidActionPrefix, ref action, hasAction, output);
        }
    }

    private static bool TryWriteHit(ref Utf8JsonReader value, PipeWriter output)
    {
        int maxChars = value.HasValueSequence ? checked((int)value.ValueSequence.Length) : value.ValueSpan.Length;
        char[]? rented = null;
        Span<char> chars = maxChars <= StackLimit ? stackalloc char[StackLimit] : (rented = ArrayPool<char>.Shared.Rent(maxChars));
        try
        {
            int length = value.CopyString(chars);
            if (HitLookup.TryGetValue(chars[..length], out byte[]? frame))
            {
                output.Write(frame);
                return true;
            }

            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Answers {"result": prefix + str(value) + "'."}, as the tutorial's f-strings do.</summary>
    private static void WriteResult(ReadOnlySpan<byte> prefix, ref Utf8JsonReader value, bool hasValue, PipeWriter output)
    {
        byte[] text = RentPythonStr(ref value, hasValue, out int textLength);
        byte[] content = ArrayPool<byte>.Shared.Rent(ResultStart.Length + prefix.Length + (textLength * 6) + ResultEnd.Length);
        try
        {
            int w = 0;
            ResultStart.CopyTo(content);
            w += ResultStart.Length;
            prefix.CopyTo(content.AsSpan(w));
            w += prefix.Length;
            w += EscapePython(text.AsSpan(0, textLength), content.AsSpan(w));
            ResultEnd.CopyTo(content.AsSpan(w));
            w += ResultEnd.Length;
            WriteFrame(output, JsonHeaderStart, content.AsSpan(0, w));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(content);
            ArrayPool<byte>.Shared.Return(text);
        }
    }

    /// <summary>str(value) of what json.loads made of it, as UTF-8 in a pooled array (None when missing).</summary>
    private static byte[] RentPythonStr(ref Utf8JsonReader value, bool hasValue, out int length)
    {
        switch (hasValue ? value.TokenType : JsonTokenType.Null)
        {
            case JsonTokenType.String:
            {
                byte[] text = ArrayPool<byte>.Shared.Rent(value.HasValueSequence ? checked((int)value.ValueSequence.Length) : value.ValueSpan.Length);
                length = value.CopyString(text);
                return text;
            }

            case JsonTokenType.Number:
                return Rent(value.HasValueSequence ? value.ValueSequence.ToArray() : value.ValueSpan, out length);
            case JsonTokenType.True:
                return Rent("True"u8, out length);
            case JsonTokenType.False:
                return Rent("False"u8, out length);
            case JsonTokenType.Null:
                return Rent("None"u8, out length);
            default:
            {
                // An object or array: Python would show its repr; the JSON text is close enough for a peer.
                using JsonDocument document = JsonDocument.ParseValue(ref value);
                return Rent(Encoding.UTF8.GetBytes(document.RootElement.GetRawText()), out length);
            }
        }

        static byte[] Rent(ReadOnlySpan<byte> bytes, out int length)
        {
            length = bytes.Length;
            byte[] array = ArrayPool<byte>.Shared.Rent(length);
            bytes.CopyTo(array);
            return array;
        }
    }

    private static int EscapePython(ReadOnlySpan<byte> utf8, Span<byte> destination)
    {
        int w = 0;
        while (true)
        {
            int run = utf8.IndexOfAny(EscapedBytes);
            if (run < 0)
            {
                utf8.CopyTo(destination[w..]);
                return w + utf8.Length;
            }

            utf8[..run].CopyTo(destination[w..]);
            w += run;
            byte b = utf8[run];
            destination[w++] = (byte)'\\';
            switch (b)
            {
                case (byte)'"': destination[w++] = (byte)'"'; break;
                case (byte)'\\': destination[w++] = (byte)'\\'; break;
                case (byte)'\n': destination[w++] = (byte)'n'; break;
                case (byte)'\r': destination[w++] = (byte)'r'; break;
                case (byte)'\t': destination[w++] = (byte)'t'; break;
                case (byte)'\b': destination[w++] = (byte)'b'; break;
                case (byte)'\f': destination[w++] = (byte)'f'; break;
                default:
                    "u00"u8.CopyTo(destination[w..]);
                    w += 3;
                    b.TryFormat(destination[w..], out int hex, "x2", CultureInfo.InvariantCulture);
                    w += hex;
                    break;
            }

            utf8 = utf8[(run + 1)..];
        }
    }

    /// <summary>Writes prefix, header and content with one GetSpan and one Advance.</summary>
    private static void WriteFrame(IBufferWriter<byte> output, ReadOnlySpan<byte> headerStart, ReadOnlySpan<byte> content)
    {
        int digits = 1;
        for (int v = content.Length; v >= 10; v /= 10)
        {
            digits++;
        }

        int headerLength = headerStart.Length + digits + 1;
        Span<byte> span = output.GetSpan(2 + headerLength + content.Length);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)headerLength);
        headerStart.CopyTo(span[2..]);
        int w = 2 + headerStart.Length;
        content.Length.TryFormat(span[w..], out int written, default, CultureInfo.InvariantCulture);
        w += written;
        span[w++] = (byte)'}';
        content.CopyTo(span[w..]);
        output.Advance(w + content.Length);
    }

    private static byte[] HeaderStart(string contentType, string contentEncoding)
    {
        string byteOrder = BitConverter.IsLittleEndian ? "little" : "big";
        return Encoding.UTF8.GetBytes(
            $"{{\"byteorder\": \"{byteOrder}\", \"content-type\": \"{contentType}\", \"content-encoding\": \"{contentEncoding}\", \"content-length\": ");
    }

    private static Dictionary<string, byte[]> EncodeHits()
    {
        var hits = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach ((string key, string answer) in Table)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(answer);
            var content = new ArrayBufferWriter<byte>();
            content.Write(ResultStart);
            int escaped = EscapePython(utf8, content.GetSpan(utf8.Length * 6));
            content.Advance(escaped);
            content.Write("\"}"u8);
            var frame = new ArrayBufferWriter<byte>();
            WriteFrame(frame, JsonHeaderStart, content.WrittenSpan);
            hits[key] = frame.WrittenSpan.ToArray();
        }

        return hits;
    }
}
