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
                int key = IdentifyKey(ref reader);
                string? customName = key == 0 ? reader.GetString()! : null;
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

    private static int IdentifyKey(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
        {
            return reader.GetString() switch
            {
                "byteorder" => ByteOrderKey,
                "content-type" => ContentTypeKey,
                "content-encoding" => ContentEncodingKey,
                "content-length" => ContentLengthKey,
                _ => 0,
            };
        }

        ReadOnlySpan<byte> name = reader.ValueSpan;
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

        return reader.ValueIsEscaped ? reader.GetString() : KnownStrings.Intern(reader.ValueSpan);
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
