using System.Buffers;
using System.Text;
using Framewire.Internal;

namespace Framewire.Protocol.Internal;

/// <summary>
/// Turns text/json content into UTF-8 for the JSON reader, honouring the frame's content-encoding the way
/// Python's codec registry names encodings (case-insensitive, <c>_</c> and <c>-</c> alike). UTF-8 content is
/// used in place; other encodings are transcoded into a pooled buffer.
/// </summary>
internal static class TextContent
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly Encoding StrictUtf16Le = new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);
    private static readonly Encoding StrictUtf16Be = new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true);
    private static readonly Encoding StrictAscii = Encoding.GetEncoding("us-ascii", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    private enum Kind
    {
        Unsupported,
        Utf8,
        Utf16,
        Utf16Le,
        Utf16Be,
        Ascii,
        Latin1,
    }

    /// <summary>True when <paramref name="contentEncoding"/> names an encoding this decodes.</summary>
    public static bool IsSupported(string contentEncoding) => Classify(contentEncoding) != Kind.Unsupported;

    /// <summary>
    /// Gets the content as UTF-8. Returns false with an <see cref="ErrorCode.UnsupportedEncoding"/> or
    /// <see cref="ErrorCode.ContentNotJson"/> error when it cannot be decoded.
    /// </summary>
    public static bool TryGetUtf8(in Frame frame, ref PooledBufferWriter? scratch, out ReadOnlySequence<byte> utf8, out ProtocolError error)
    {
        string encoding = frame.Header.ContentEncoding;
        Kind kind = Classify(encoding);
        ReadOnlySequence<byte> content = frame.Content;
        utf8 = default;
        error = default;
        switch (kind)
        {
            case Kind.Unsupported:
                error = new ProtocolError(ErrorCode.UnsupportedEncoding, $"The content-encoding '{encoding}' is not supported for text/json.");
                return false;
            case Kind.Utf8:
                if (!IsValidUtf8(content))
                {
                    error = new ProtocolError(ErrorCode.ContentNotJson, "The content is not valid UTF-8.");
                    return false;
                }

                utf8 = content;
                return true;
        }

        byte[] source = content.ToArray();
        ReadOnlySpan<byte> bytes = source;
        Encoding decoder = kind switch
        {
            Kind.Utf16 => PickUtf16ByBom(ref bytes),
            Kind.Utf16Le => StrictUtf16Le,
            Kind.Utf16Be => StrictUtf16Be,
            Kind.Ascii => StrictAscii,
            _ => Encoding.Latin1,
        };

        string text;
        try
        {
            text = decoder.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            error = new ProtocolError(ErrorCode.ContentNotJson, $"The content does not decode as {encoding}.");
            return false;
        }

        scratch ??= new PooledBufferWriter();
        scratch.Clear();
        Span<byte> span = scratch.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        scratch.Advance(Encoding.UTF8.GetBytes(text, span));
        utf8 = new ReadOnlySequence<byte>(scratch.WrittenMemory);
        return true;
    }

    private static Encoding PickUtf16ByBom(ref ReadOnlySpan<byte> bytes)
    {
        // Python's "utf-16" codec reads a byte-order mark if there is one and otherwise assumes the machine's order.
        if (bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE)
        {
            bytes = bytes[2..];
            return StrictUtf16Le;
        }

        if (bytes.Length >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF)
        {
            bytes = bytes[2..];
            return StrictUtf16Be;
        }

        return BitConverter.IsLittleEndian ? StrictUtf16Le : StrictUtf16Be;
    }

    private static bool IsValidUtf8(in ReadOnlySequence<byte> content)
    {
        if (content.IsSingleSegment)
        {
            return System.Text.Unicode.Utf8.IsValid(content.FirstSpan);
        }

        try
        {
            Decoder decoder = StrictUtf8.GetDecoder();
            Span<char> sink = stackalloc char[256];
            foreach (ReadOnlyMemory<byte> segment in content)
            {
                ReadOnlySpan<byte> span = segment.Span;
                while (!span.IsEmpty)
                {
                    decoder.Convert(span, sink, flush: false, out int used, out _, out _);
                    span = span[used..];
                }
            }

            decoder.Convert([], sink, flush: true, out _, out _, out _);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static Kind Classify(string name)
    {
        // Decoded headers share one "utf-8" instance (KnownStrings), so the usual case is a reference check.
        if (ReferenceEquals(name, ContentTypes.Utf8))
        {
            return Kind.Utf8;
        }

        Span<char> normal = stackalloc char[24];
        if (name.Length > normal.Length)
        {
            return Kind.Unsupported;
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = char.ToLowerInvariant(name[i]);
            normal[i] = c is '_' or ' ' ? '-' : c;
        }

        return normal[..name.Length] switch
        {
            "utf-8" or "utf8" or "u8" or "utf" or "cp65001" => Kind.Utf8,
            "utf-16" or "utf16" or "u16" => Kind.Utf16,
            "utf-16-le" or "utf-16le" or "utf16le" => Kind.Utf16Le,
            "utf-16-be" or "utf-16be" or "utf16be" => Kind.Utf16Be,
            "ascii" or "us-ascii" or "646" => Kind.Ascii,
            "latin-1" or "latin1" or "latin" or "l1" or "iso-8859-1" or "iso8859-1" or "8859" or "cp819" or "iso-ir-100" => Kind.Latin1,
            _ => Kind.Unsupported,
        };
    }
}
