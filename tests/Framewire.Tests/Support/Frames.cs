using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Framewire.Protocol;
using Framewire.Testing;

namespace Framewire.Tests.Support;

/// <summary>Builds raw frames byte by byte, independently of the encoder under test.</summary>
internal static class Frames
{
    public static byte[] Raw(string headerJson, ReadOnlySpan<byte> content)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        return Raw(header, content);
    }

    public static byte[] Raw(ReadOnlySpan<byte> header, ReadOnlySpan<byte> content)
    {
        byte[] frame = new byte[2 + header.Length + content.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)header.Length);
        header.CopyTo(frame.AsSpan(2));
        content.CopyTo(frame.AsSpan(2 + header.Length));
        return frame;
    }

    public static byte[] Json(string contentJson, string encoding = "utf-8")
    {
        byte[] content = Encoding.UTF8.GetBytes(contentJson);
        return Raw($"{{\"byteorder\": \"little\", \"content-type\": \"text/json\", \"content-encoding\": \"{encoding}\", \"content-length\": {content.Length}}}", content);
    }

    public static byte[] Binary(ReadOnlySpan<byte> content) =>
        Raw($"{{\"byteorder\": \"little\", \"content-type\": \"binary/custom-client-binary-type\", \"content-encoding\": \"binary\", \"content-length\": {content.Length}}}", content);

    public static byte[] Encode(string contentType, string encoding, ReadOnlySpan<byte> content, IReadOnlyList<HeaderField>? custom = null, ChecksumAlgorithm checksum = ChecksumAlgorithm.None)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameEncoder.Write(writer, contentType, encoding, content, custom, checksum);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>A UTF-8 JSON request whose header carries <paramref name="checksum"/> as its content-checksum, right or wrong.</summary>
    public static byte[] JsonWithChecksum(string contentJson, string checksum)
    {
        byte[] content = Encoding.UTF8.GetBytes(contentJson);
        return Raw(
            $"{{\"byteorder\": \"little\", \"content-type\": \"text/json\", \"content-encoding\": \"utf-8\", \"content-length\": {content.Length}, \"content-checksum\": \"{checksum}\"}}",
            content);
    }

    /// <summary>The content-checksum value of <paramref name="content"/>, such as <c>crc32c:e3069283</c>.</summary>
    public static string Checksum(ChecksumAlgorithm algorithm, ReadOnlySpan<byte> content)
    {
        Span<byte> value = stackalloc byte[ContentChecksum.MaxValueLength];
        return Encoding.ASCII.GetString(value[..ContentChecksum.WriteValue(algorithm, content, value)]);
    }

    /// <summary>Splits <paramref name="bytes"/> into a multi-segment sequence at the given offsets.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, params int[] cuts)
    {
        var segments = new List<ReadOnlyMemory<byte>>();
        int start = 0;
        foreach (int cut in cuts)
        {
            segments.Add(bytes.AsMemory(start..cut));
            start = cut;
        }

        segments.Add(bytes.AsMemory(start..));
        return SegmentedSequence.Create(segments);
    }
}
