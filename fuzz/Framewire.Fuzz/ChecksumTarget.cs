using System.Buffers;
using System.Text;
using Framewire.Protocol;

namespace Framewire.Fuzz;

/// <summary>
/// The <c>content-checksum</c> path, over every frame the input decodes to. Verifying a frame's own header gives the
/// same answer whether its content is in one piece or one byte per segment; for both algorithms the value written for
/// the content is the same from a span and from segments, verifies, and stops verifying when one content bit flips;
/// and a frame written with a checksum, by the encoder or added to an encoded frame, decodes to the same frame with
/// a checksum that verifies.
/// </summary>
internal static class ChecksumTarget
{
    private static readonly ChecksumAlgorithm[] Algorithms = [ChecksumAlgorithm.Crc32C, ChecksumAlgorithm.Sha256];

    public static void Run(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        var buffer = new ReadOnlySequence<byte>(bytes);
        var decoder = new FrameDecoder(FuzzLimits.Input);
        while (true)
        {
            long start = bytes.Length - buffer.Length;
            if (decoder.Decode(ref buffer, out Frame frame, out _) != DecodeStatus.Frame)
            {
                return;
            }

            byte[] content = frame.Content.ToArray();
            RequireSameVerdict(frame, new Frame(frame.Header, Pieces.Chunked(content, 1)));
            foreach (ChecksumAlgorithm algorithm in Algorithms)
            {
                RequireValueVerifies(algorithm, content);
                RequireEncodedVerifies(frame.Header, content, algorithm);
                RequireAddedVerifies(bytes.AsSpan((int)start, (int)(bytes.Length - buffer.Length - start)), frame.Header, content, algorithm);
            }
        }
    }

    private static void RequireSameVerdict(in Frame whole, in Frame segmented)
    {
        bool wholeVerified = ContentChecksum.TryVerify(whole, out ProtocolError wholeError);
        bool segmentedVerified = ContentChecksum.TryVerify(segmented, out ProtocolError segmentedError);
        if (wholeVerified != segmentedVerified || wholeError != segmentedError)
        {
            throw new InvariantException($"The frame's checksum verified {wholeVerified} ({wholeError}) whole, {segmentedVerified} ({segmentedError}) in segments.");
        }

        if (!wholeVerified && wholeError.Code is not (ErrorCode.ChecksumMismatch or ErrorCode.ChecksumInvalid))
        {
            throw new InvariantException($"A failed verification gave {wholeError}.");
        }
    }

    private static void RequireValueVerifies(ChecksumAlgorithm algorithm, byte[] content)
    {
        Span<byte> fromSpan = stackalloc byte[ContentChecksum.MaxValueLength];
        Span<byte> fromSegments = stackalloc byte[ContentChecksum.MaxValueLength];
        int length = ContentChecksum.WriteValue(algorithm, content, fromSpan);
        ReadOnlySequence<byte> segmented = Pieces.Chunked(content, 1);
        if (length != ContentChecksum.GetValueLength(algorithm)
            || ContentChecksum.WriteValue(algorithm, segmented, fromSegments) != length
            || !fromSpan[..length].SequenceEqual(fromSegments[..length]))
        {
            throw new InvariantException($"{algorithm} wrote {Encoding.ASCII.GetString(fromSpan[..length])} from a span and {Encoding.ASCII.GetString(fromSegments[..length])} from segments.");
        }

        string value = Encoding.ASCII.GetString(fromSpan[..length]);
        if (!ContentChecksum.TryVerify(value, new ReadOnlySequence<byte>(content), out ProtocolError error)
            || !ContentChecksum.TryVerify(value, segmented, out error))
        {
            throw new InvariantException($"The value written for the content, {value}, did not verify: {error}");
        }

        if (content.Length == 0)
        {
            return;
        }

        // Both algorithms catch every single-bit error; the bit is chosen by the content so each byte gets its turn.
        byte[] flipped = (byte[])content.Clone();
        flipped[content[0] % content.Length] ^= (byte)(1 << (content[^1] & 7));
        if (ContentChecksum.TryVerify(value, new ReadOnlySequence<byte>(flipped), out error) || error.Code != ErrorCode.ChecksumMismatch)
        {
            throw new InvariantException($"{value} verified content with one bit flipped, or failed with {error} instead of a mismatch.");
        }
    }

    // The encoder writes the checksum unless the custom headers already carry one, which then stands as it is.
    private static void RequireEncodedVerifies(in FrameHeader header, byte[] content, ChecksumAlgorithm algorithm)
    {
        var written = new ArrayBufferWriter<byte>();
        FrameEncoder.Write(written, header.ContentType, header.ContentEncoding, content, header.CustomHeaders, algorithm);
        Frame again = DecodeOne(written.WrittenMemory, "written with a checksum");
        RequireSameFrame(header, content, again, header.GetCustomHeader(ContentChecksum.HeaderName) is null, "written with a checksum");
    }

    // A frame that already has a checksum, or whose header does not end in its closing brace, is passed on unchanged.
    private static void RequireAddedVerifies(ReadOnlySpan<byte> encoded, in FrameHeader header, byte[] content, ChecksumAlgorithm algorithm)
    {
        var written = new ArrayBufferWriter<byte>();
        FrameEncoder.WriteWithChecksum(written, encoded, algorithm);
        if (written.WrittenSpan.SequenceEqual(encoded))
        {
            return;
        }

        Frame again = DecodeOne(written.WrittenMemory, "with a checksum added");
        if (again.Header.ByteOrder != header.ByteOrder)
        {
            throw new InvariantException($"Adding a checksum changed the byte order from {header.ByteOrder} to {again.Header.ByteOrder}.");
        }

        RequireSameFrame(header, content, again, added: true, "with a checksum added");
    }

    private static Frame DecodeOne(ReadOnlyMemory<byte> bytes, string how)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        DecodeStatus status = new FrameDecoder(FuzzLimits.Written).Decode(ref buffer, out Frame frame, out ProtocolError error);
        if (status != DecodeStatus.Frame || !buffer.IsEmpty)
        {
            throw new InvariantException($"A frame {how} did not decode as one frame: {status} {error}, {buffer.Length} bytes left.");
        }

        return frame;
    }

    // The same header and content, plus a checksum that verifies when one was added; otherwise exactly the same keys.
    private static void RequireSameFrame(in FrameHeader header, byte[] content, in Frame again, bool added, string how)
    {
        FrameHeader second = again.Header;
        var expected = new List<HeaderField>(header.CustomHeaders);
        var actual = new List<HeaderField>(second.CustomHeaders);
        if (added)
        {
            int last = actual.Count - 1;
            if (last < 0 || actual[last].Name != ContentChecksum.HeaderName)
            {
                throw new InvariantException($"A frame {how} has no {ContentChecksum.HeaderName} as its last key.");
            }

            actual.RemoveAt(last);
            if (!ContentChecksum.TryVerify(again, out ProtocolError error))
            {
                throw new InvariantException($"A frame {how} does not verify: {error}");
            }
        }

        if (second.ContentType != header.ContentType || second.ContentEncoding != header.ContentEncoding
            || !again.Content.ToArray().AsSpan().SequenceEqual(content) || !expected.SequenceEqual(actual))
        {
            throw new InvariantException($"A frame {how} decoded to other values: {second.ContentType}|{second.ContentEncoding}|{again.Content.Length}|{string.Join(',', actual)}.");
        }
    }
}
