using System.Buffers;
using System.Text;
using Framewire.Protocol;
using Framewire.Testing;

namespace Framewire.Benchmarks;

/// <summary>The frames the benchmarks decode and encode, built once.</summary>
internal static class Inputs
{
    /// <summary>A receive buffer's segment size: the 4 KiB blocks System.IO.Pipelines' default pool hands out.</summary>
    public const int SegmentSize = 4096;

    /// <summary>The content of the tutorial client's search request.</summary>
    public static byte[] SearchContent(string value) =>
        Encoding.UTF8.GetBytes($"{{\"action\": \"search\", \"value\": \"{value}\"}}");

    /// <summary>The tutorial client's search request, as a whole frame.</summary>
    public static byte[] SearchRequest(string value) => Frame(ContentTypes.Json, ContentTypes.Utf8, SearchContent(value));

    /// <summary>A binary request as the tutorial's client sends it, with <paramref name="length"/> bytes of content.</summary>
    public static byte[] BinaryRequest(int length) => Frame(ContentTypes.ClientBinary, ContentTypes.Binary, BinaryContent(length));

    public static byte[] BinaryContent(int length)
    {
        byte[] content = new byte[length];
        for (int i = 0; i < content.Length; i++)
        {
            content[i] = (byte)('a' + (i % 26));
        }

        return content;
    }

    public static byte[] Frame(string contentType, string contentEncoding, byte[] content)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameEncoder.Write(writer, contentType, contentEncoding, content);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// <paramref name="bytes"/> as a multi-segment sequence: a first segment of <paramref name="firstSegment"/>
    /// bytes (so the header can straddle two segments), then <see cref="SegmentSize"/> segments.
    /// </summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, int firstSegment)
    {
        var pieces = new List<ReadOnlyMemory<byte>> { bytes.AsMemory(0, firstSegment) };
        for (int offset = firstSegment; offset < bytes.Length; offset += SegmentSize)
        {
            pieces.Add(bytes.AsMemory(offset, Math.Min(SegmentSize, bytes.Length - offset)));
        }

        return SegmentedSequence.Create(pieces);
    }
}
