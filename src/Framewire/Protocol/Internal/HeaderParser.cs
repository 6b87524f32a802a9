using System.Text.Json;
using System.Text.Unicode;

namespace Framewire.Protocol.Internal;

/// <summary>
/// Parses and validates a frame's JSON header. Syntax is checked to the end even after a semantic problem
/// is found, so a header that is not JSON is always reported as such, whatever else is wrong with it.
/// </summary>
internal static class HeaderParser
{
    // Custom header values may nest; 32 levels is far beyond any real header and bounds the reader's work.
    private const int MaxJsonDepth = 32;

    // Above this many custom keys, duplicate detection switches from a scan to a set, so a header packed
    // with tiny keys costs linear, not quadratic, time.
    private const int LinearDuplicateScanLimit = 8;

    private const int ByteOrderKey = 1;
    private const int ContentTypeKey = 2;
    private const int ContentEncodingKey = 4;
    private const int ContentLengthKey = 8;
    private const int AllRequiredKeys = 15;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxJsonDepth };

    public static bool TryParse(ReadOnlySpan<byte> json, int maxContentLength, out FrameHeader header, out ProtocolError error)
    {
        if (FlatHeaderScanner.TryScan(json, maxContentLength, out header))
        {
            error = default;
            return true;
        }

        return TryParseAnyJson(json, maxContentLength, out header, out error);
    }

    /// <summary>The full parser, for any JSON text: what <see cref="FlatHeaderScanner"/> declines comes here.</summary>
    public static bool TryParseAnyJson(ReadOnlySpan<byte> json, int maxContentLength, out FrameHeader header, out ProtocolError error)
    {
        header = default;
        if (!Utf8.IsValid(json))
        {
            error = new ProtocolError(ErrorCode.HeaderInvalidUtf8, "The JSON header is not valid UTF-8.");
            return false;
        }

        ProtocolError problem = default;
        var reader = new Utf8JsonReader(json, ReaderOptions);
        try
        {
            if (!reader.Read())
            {
                error = new ProtocolError(ErrorCode.HeaderNotJson, "The JSON header is empty.");
                return false;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                ReadToEnd(ref reader);
                error = new ProtocolError(ErrorCode.HeaderNotObject, "The JSON header is not a JSON object.");
                return false;
            }

            string? byteOrder = null;
            string? contentType = null;
            string? contentEncoding = null;
            long contentLength = 0;
            int seen = 0;
            List<HeaderField>? custom = null;
            HashSet<string>? customNames = null;

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!TryIdentifyKey(ref reader, out int key, out string? customName))
                {
                    Record(ref problem, ErrorCode.HeaderInvalidUtf8, "The header has a key whose \\u escapes are not valid UTF-16 (a lone surrogate).");
                }

                if ((seen & key) != 0 || (customName is not null && IsDuplicate(customName, custom, ref customNames)))
                {
                    Record(ref problem, ErrorCode.HeaderDuplicateKey, $"The header has the key '{customName ?? reader.GetString()}' twice.");
                }

                seen |= key;
                reader.Read();
                switch (key)
                {
                    case ByteOrderKey:
                        byteOrder = ReadStringValue(ref reader, "byteorder", ref problem);
                        break;
                    case ContentTypeKey:
                        contentType = ReadStringValue(ref reader, "content-type", ref problem);
                        break;
                    case ContentEncodingKey:
                        contentEncoding = ReadStringValue(ref reader, "content-encoding", ref problem);
                        break;
                    case ContentLengthKey:
                        contentLength = ReadContentLength(ref reader, maxContentLength, ref problem);
                        break;
                    default:
                        int start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        if (problem.Code == ErrorCode.None)
                        {
                            custom ??= [];
                            custom.Add(new HeaderField(customName!, System.Text.Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed])));
                        }

                        break;
                }
            }

            ReadToEnd(ref reader);
            if (problem.Code == ErrorCode.None && seen != AllRequiredKeys)
            {
                problem = new ProtocolError(ErrorCode.HeaderMissingKey, $"Missing required header '{FirstMissing(seen)}'.");
            }

            if (problem.Code != ErrorCode.None)
            {
                error = problem;
                return false;
            }

            header = new FrameHeader(byteOrder!, contentType!, contentEncoding!, (int)contentLength, custom);
            error = default;
            return true;
        }
        catch (JsonException e)
        {
            error = new ProtocolError(ErrorCode.HeaderNotJson, $"The header is not valid JSON: {e.Message}");
            return false;
        }
    }

    private static void ReadToEnd(ref Utf8JsonReader reader)
    {
        // With the whole header as the final block, Read throws on anything but whitespace after the value.
        while (reader.Read())
        {
        }
    }

    private static void Record(ref ProtocolError problem, ErrorCode code, string message)
    {
        if (problem.Code == ErrorCode.None)
        {
            problem = new ProtocolError(code, message);
        }
    }

    // Known keys come back as their bit with no name; any other key as 0 with its name. False when the key's escapes
    // name a lone surrogate, which is no text at all.
    private static bool TryIdentifyKey(ref Utf8JsonReader reader, out int key, out string? customName)
    {
        customName = null;
        if (!reader.ValueIsEscaped)
        {
            key = IdentifyKey(reader.ValueSpan);
            if (key == 0)
            {
                customName = reader.GetString();
            }

            return true;
        }

        if (!TryGetEscapedString(ref reader, out string name))
        {
            key = 0;
            return false;
        }

        key = name switch
        {
            "byteorder" => ByteOrderKey,
            "content-type" => ContentTypeKey,
            "content-encoding" => ContentEncodingKey,
            "content-length" => ContentLengthKey,
            _ => 0,
        };
        customName = key == 0 ? name : null;
        return true;
    }

    private static int IdentifyKey(ReadOnlySpan<byte> name)
    {
        if (name.SequenceEqual("byteorder"u8))
        {
            return ByteOrderKey;
        }

        if (name.SequenceEqual("content-type"u8))
        {
            return ContentTypeKey;
        }

        if (name.SequenceEqual("content-encoding"u8))
        {
            return ContentEncodingKey;
        }

        return name.SequenceEqual("content-length"u8) ? ContentLengthKey : 0;
    }

    // JSON lets a \u escape name half of a surrogate pair alone ("\ud800"); that is valid syntax but no UTF-16 text,
    // and the reader refuses to make a string of it with an InvalidOperationException rather than a JsonException.
    private static bool TryGetEscapedString(ref Utf8JsonReader reader, out string value)
    {
        try
        {
            value = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = string.Empty;
            return false;
        }
    }

    private static bool IsDuplicate(string name, List<HeaderField>? custom, ref HashSet<string>? names)
    {
        if (custom is null)
        {
            return false;
        }

        if (custom.Count < LinearDuplicateScanLimit)
        {
            foreach (HeaderField field in custom)
            {
                if (string.Equals(field.Name, name, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        if (names is null)
        {
            names = new HashSet<string>(StringComparer.Ordinal);
            foreach (HeaderField field in custom)
            {
                names.Add(field.Name);
            }
        }

        return !names.Add(name);
    }

    private static string? ReadStringValue(ref Utf8JsonReader reader, string key, ref ProtocolError problem)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            Record(ref problem, ErrorCode.HeaderInvalidValue, $"The header '{key}' must be a JSON string.");
            return null;
        }

        if (!reader.ValueIsEscaped)
        {
            return KnownStrings.Intern(reader.ValueSpan);
        }

        if (!TryGetEscapedString(ref reader, out string value))
        {
            Record(ref problem, ErrorCode.HeaderInvalidUtf8, $"The header '{key}' has \\u escapes that are not valid UTF-16 (a lone surrogate).");
            return null;
        }

        return value;
    }

    private static long ReadContentLength(ref Utf8JsonReader reader, int maxContentLength, ref ProtocolError problem)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            reader.Skip();
            Record(ref problem, ErrorCode.ContentLengthInvalid, "The header 'content-length' must be a non-negative JSON integer.");
            return 0;
        }

        ReadOnlySpan<byte> digits = reader.ValueSpan;
        if (!IsUnsignedInteger(digits))
        {
            Record(ref problem, ErrorCode.ContentLengthInvalid, "The header 'content-length' must be a non-negative JSON integer.");
            return 0;
        }

        if (!reader.TryGetInt64(out long length) || length > maxContentLength)
        {
            Record(ref problem, ErrorCode.ContentTooLarge, $"The content length exceeds the limit of {maxContentLength} bytes.");
            return 0;
        }

        return length;
    }

    private static bool IsUnsignedInteger(ReadOnlySpan<byte> number)
    {
        foreach (byte b in number)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return true;
    }

    private static string FirstMissing(int seen)
    {
        // The tutorial's programs check in this order and name the first key they miss.
        if ((seen & ByteOrderKey) == 0)
        {
            return "byteorder";
        }

        if ((seen & ContentLengthKey) == 0)
        {
            return "content-length";
        }

        return (seen & ContentTypeKey) == 0 ? "content-type" : "content-encoding";
    }
}
