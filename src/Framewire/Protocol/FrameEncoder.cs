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

    private static readonly byte[] ByteOrderValue = System.Text.Encoding.UTF8.GetBytes(PythonJsonWriter.ToJsonString(KnownStrings.NativeByteOrder));

    /// <summary>Writes a whole frame whose content is <paramref name="content"/>.</summary>
    public static void Write(IBufferWriter<byte> output, string contentType, string contentEncoding, ReadOnlySpan<byte> content, IReadOnlyList<HeaderField>? customHeaders = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        int headerLength = GetHeaderLength(contentType, contentEncoding, content.Length, customHeaders);
        Span<byte> span = output.GetSpan(2 + headerLength + content.Length);
        int written = WritePrefixAndHeader(span, headerLength, contentType, contentEncoding, content.Length, customHeaders);
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
        int written = WritePrefixAndHeader(frame, headerLength, contentType, contentEncoding, content.Length, customHeaders);
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
        int written = WritePrefixAndHeader(output.GetSpan(2 + headerLength), headerLength, contentType, contentEncoding, contentLength, customHeaders);
        output.Advance(written);
        return written;
    }

    /// <summary>The length of the JSON header (without the 2-byte prefix) for these values.</summary>
    public static int GetHeaderLength(string contentType, string contentEncoding, int contentLength, IReadOnlyList<HeaderField>? customHeaders = null)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        ArgumentNullException.ThrowIfNull(contentEncoding);
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        int length = ByteOrderKey.Length + ByteOrderValue.Length
            + ContentTypeKey.Length + PythonJsonWriter.GetEscapedLength(contentType)
            + ContentEncodingKey.Length + PythonJsonWriter.GetEscapedLength(contentEncoding)
            + ContentLengthKey.Length + CountDigits(contentLength)
            + 1;
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

    private static int WritePrefixAndHeader(Span<byte> span, int headerLength, string contentType, string contentEncoding, int contentLength, IReadOnlyList<HeaderField>? customHeaders)
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

        span[w++] = (byte)'}';
        return w;
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
