using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Framewire.Protocol.Internal;

namespace Framewire.Protocol;

/// <summary>
/// Writes frames. The header is written as the tutorial's Python programs write it —
/// <c>{"byteorder": "little", "content-type": "…", "content-encoding": "…", "content-length": N}</c> — so frames
/// for the same content are byte-identical; custom header keys follow the four required ones.
/// </summary>
public static class FrameEncoder
{
    private static ReadOnlySpan<byte> ByteOrderKey => "{\"byteorder\": "u8;
    private static ReadOnlySpan<byte> ContentTypeKey => ", \"content-type\": "u8;
    private static ReadOnlySpan<byte> ContentEncodingKey => ", \"content-encoding\": "u8;
    private static ReadOnlySpan<byte> ContentLengthKey => ", \"content-length\": "u8;
    private static ReadOnlySpan<byte> ChecksumKey => ", \"content-checksum\": \""u8;

    private static readonly byte[] ByteOrderValue = System.Text.Encoding.UTF8.GetBytes(PythonJsonWriter.ToJsonString(KnownStrings.NativeByteOrder));

    /// <summary>Writes a whole frame whose content is <paramref name="content"/>.</summary>
    public static void Write(IBufferWriter<byte> output, string contentType, string contentEncoding, ReadOnlySpan<byte> content, IReadOnlyList<HeaderField>? customHeaders = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        int headerLength = GetHeaderLength(contentType, contentEncoding, content.Length, customHeaders);
        Span<byte> span = output.GetSpan(2 + headerLength + content.Length);
        int written = WritePrefixAndHeader(span, headerLength, contentType, contentEncoding, content.Length, customHeaders, default);
        content.CopyTo(span[written..]);
        output.Advance(written + content.Length);
    }

    /// <summary>
    /// Writes a whole frame whose content is <paramref name="content"/>, with a <c>content-checksum</c> header of
    /// <paramref name="checksum"/> after the other keys (see <see cref="ContentChecksum"/>). With
    /// <see cref="ChecksumAlgorithm.None"/>, or when <paramref name="customHeaders"/> already carry a checksum, the frame
    /// is the one the overload without a checksum writes.
    /// </summary>
    internal static void Write(IBufferWriter<byte> output, string contentType, string contentEncoding, ReadOnlySpan<byte> content, IReadOnlyList<HeaderField>? customHeaders, ChecksumAlgorithm checksum)
    {
        if (checksum == ChecksumAlgorithm.None || HasChecksum(customHeaders))
        {
            Write(output, contentType, contentEncoding, content, customHeaders);
            return;
        }

        ArgumentNullException.ThrowIfNull(output);
        Span<byte> value = stackalloc byte[ContentChecksum.MaxValueLength];
        value = value[..ContentChecksum.WriteValue(checksum, content, value)];
        int headerLength = GetHeaderLength(contentType, contentEncoding, content.Length, customHeaders, ChecksumKey.Length + value.Length + 1);
        Span<byte> span = output.GetSpan(2 + headerLength + content.Length);
        int written = WritePrefixAndHeader(span, headerLength, contentType, contentEncoding, content.Length, customHeaders, value);
        content.CopyTo(span[written..]);
        output.Advance(written + content.Length);
    }

    /// <summary>
    /// Encodes a whole frame into an array rented from <see cref="ArrayPool{T}.Shared"/>, for a sender that queues it;
    /// the caller returns the array.
    /// </summary>
    internal static byte[] Rent(string contentType, string contentEncoding, ReadOnlySpan<byte> content, IReadOnlyList<HeaderField>? customHeaders, out int length)
    {
        int headerLength = GetHeaderLength(contentType, contentEncoding, content.Length, customHeaders);
        length = 2 + headerLength + content.Length;
        byte[] frame = ArrayPool<byte>.Shared.Rent(length);
        int written = WritePrefixAndHeader(frame, headerLength, contentType, contentEncoding, content.Length, customHeaders, default);
        content.CopyTo(frame.AsSpan(written));
        return frame;
    }

    /// <summary>Writes a whole frame whose content is <paramref name="content"/>.</summary>
    public static void Write(IBufferWriter<byte> output, string contentType, string contentEncoding, in ReadOnlySequence<byte> content, IReadOnlyList<HeaderField>? customHeaders = null)
    {
        if (content.IsSingleSegment)
        {
            Write(output, contentType, contentEncoding, content.FirstSpan, customHeaders);
            return;
        }

        WriteHeader(output, contentType, contentEncoding, checked((int)content.Length), customHeaders);
        foreach (ReadOnlyMemory<byte> segment in content)
        {
            output.Write(segment.Span);
        }
    }

    /// <summary>Writes the 2-byte prefix and the JSON header of a frame; the caller writes the content after it.</summary>
    /// <returns>The number of bytes written.</returns>
    public static int WriteHeader(IBufferWriter<byte> output, string contentType, string contentEncoding, int contentLength, IReadOnlyList<HeaderField>? customHeaders = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        int headerLength = GetHeaderLength(contentType, contentEncoding, contentLength, customHeaders);
        int written = WritePrefixAndHeader(output.GetSpan(2 + headerLength), headerLength, contentType, contentEncoding, contentLength, customHeaders, default);
        output.Advance(written);
        return written;
    }

    /// <summary>The length of the JSON header (without the 2-byte prefix) for these values.</summary>
    public static int GetHeaderLength(string contentType, string contentEncoding, int contentLength, IReadOnlyList<HeaderField>? customHeaders = null) =>
        GetHeaderLength(contentType, contentEncoding, contentLength, customHeaders, 0);

    /// <summary>
    /// Writes <paramref name="frame"/>, one whole encoded frame, with a <c>content-checksum</c> header of
    /// <paramref name="checksum"/> added as its last key; a frame that already has one (however its key is escaped), or
    /// whose header does not end with the object's closing brace, is written unchanged.
    /// </summary>
    internal static void WriteWithChecksum(IBufferWriter<byte> output, ReadOnlySpan<byte> frame, ChecksumAlgorithm checksum)
    {
        int headerLength = BinaryPrimitives.ReadUInt16BigEndian(frame);
        ReadOnlySpan<byte> header = frame.Slice(2, headerLength);
        ReadOnlySpan<byte> content = frame[(2 + headerLength)..];
        Span<byte> value = stackalloc byte[ContentChecksum.MaxValueLength];
        int extra = ChecksumKey.Length + ContentChecksum.GetValueLength(checksum) + 1;
        if (checksum == ChecksumAlgorithm.None || header.IsEmpty || header[^1] != (byte)'}' ||
            HasChecksum(header) || headerLength + extra > ushort.MaxValue)
        {
            output.Write(frame);
            return;
        }

        value = value[..ContentChecksum.WriteValue(checksum, content, value)];
        int newLength = headerLength + extra;
        Span<byte> span = output.GetSpan(2 + newLength + content.Length);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)newLength);
        int w = 2;
        w += Append(span[w..], header[..^1]);
        w += AppendChecksum(span[w..], value);
        span[w++] = (byte)'}';
        content.CopyTo(span[w..]);
        output.Advance(w + content.Length);
    }

    private static int GetHeaderLength(string contentType, string contentEncoding, int contentLength, IReadOnlyList<HeaderField>? customHeaders, int extra)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        ArgumentNullException.ThrowIfNull(contentEncoding);
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        int length = ByteOrderKey.Length + ByteOrderValue.Length
            + ContentTypeKey.Length + PythonJsonWriter.GetEscapedLength(contentType)
            + ContentEncodingKey.Length + PythonJsonWriter.GetEscapedLength(contentEncoding)
            + ContentLengthKey.Length + CountDigits(contentLength)
            + 1 + extra;
        if (customHeaders is not null)
        {
            for (int i = 0; i < customHeaders.Count; i++)
            {
                HeaderField field = customHeaders[i];
                length += 2 + PythonJsonWriter.GetEscapedLength(field.Name) + 2 + System.Text.Encoding.UTF8.GetByteCount(field.RawJson);
            }
        }

        if (length > ushort.MaxValue)
        {
            throw new ArgumentException($"The header would be {length} bytes; the 2-byte prefix allows at most {ushort.MaxValue}.", nameof(customHeaders));
        }

        return length;
    }

    private static int WritePrefixAndHeader(Span<byte> span, int headerLength, string contentType, string contentEncoding, int contentLength, IReadOnlyList<HeaderField>? customHeaders, ReadOnlySpan<byte> checksumValue)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)headerLength);
        int w = 2;
        w += Append(span[w..], ByteOrderKey);
        w += Append(span[w..], ByteOrderValue);
        w += Append(span[w..], ContentTypeKey);
        w += PythonJsonWriter.WriteEscaped(contentType, span[w..]);
        w += Append(span[w..], ContentEncodingKey);
        w += PythonJsonWriter.WriteEscaped(contentEncoding, span[w..]);
        w += Append(span[w..], ContentLengthKey);
        contentLength.TryFormat(span[w..], out int digits, default, CultureInfo.InvariantCulture);
        w += digits;
        if (customHeaders is not null)
        {
            for (int i = 0; i < customHeaders.Count; i++)
            {
                HeaderField field = customHeaders[i];
                w += Append(span[w..], ", "u8);
                w += PythonJsonWriter.WriteEscaped(field.Name, span[w..]);
                w += Append(span[w..], ": "u8);
                w += System.Text.Encoding.UTF8.GetBytes(field.RawJson, span[w..]);
            }
        }

        if (!checksumValue.IsEmpty)
        {
            w += AppendChecksum(span[w..], checksumValue);
        }

        span[w++] = (byte)'}';
        return w;
    }

    private static int AppendChecksum(Span<byte> destination, ReadOnlySpan<byte> value)
    {
        int w = Append(destination, ChecksumKey);
        w += Append(destination[w..], value);
        destination[w++] = (byte)'"';
        return w;
    }

    // Without a backslash no key is escaped and no string holds a quote, so the quoted name is found as written; a
    // header with escapes may spell it "content\u002dchecksum", and only the parser can tell.
    private static bool HasChecksum(ReadOnlySpan<byte> header)
    {
        if (!header.Contains((byte)'\\'))
        {
            return header.IndexOf("\"content-checksum\""u8) >= 0;
        }

        return !HeaderParser.TryParseAnyJson(header, int.MaxValue, out FrameHeader parsed, out _) || HasChecksum(parsed.CustomHeaders);
    }

    private static bool HasChecksum(IReadOnlyList<HeaderField>? customHeaders)
    {
        if (customHeaders is not null)
        {
            for (int i = 0; i < customHeaders.Count; i++)
            {
                if (string.Equals(customHeaders[i].Name, ContentChecksum.HeaderName, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static int Append(Span<byte> destination, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination);
        return bytes.Length;
    }

    private static int CountDigits(int value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
