using System.Buffers;
using System.Text;
using Framewire.Protocol;

namespace Framewire.Fuzz;

/// <summary>
/// The input as a stream of frames, decoded four ways that must agree frame for frame — in one buffer, split in two,
/// one byte per segment, and arriving a few bytes at a time as a socket delivers them — and every decoded frame
/// re-encoded and decoded again to the same header and content.
/// </summary>
internal static class FrameStreamTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        string whole = Decode(new ReadOnlySequence<byte>(bytes), roundTrip: true);
        RequireSame(whole, Decode(Pieces.SplitAt(bytes, bytes.Length / 2), roundTrip: false), "split in two");
        RequireSame(whole, Decode(Pieces.Chunked(bytes, 1), roundTrip: false), "one byte per segment");
        RequireSame(whole, Arriving(bytes, 1), "arriving 1 byte at a time");
        RequireSame(whole, Arriving(bytes, 7), "arriving 7 bytes at a time");
    }

    private static void RequireSame(string expected, string actual, string how)
    {
        if (!string.Equals(expected, actual, StringComparison.Ordinal))
        {
            throw new InvariantException($"The bytes decoded differently {how}: {expected} / {actual}");
        }
    }

    // Everything decoded from one buffer holding all the bytes, as text to compare.
    private static string Decode(ReadOnlySequence<byte> buffer, bool roundTrip)
    {
        var decoder = new FrameDecoder(FuzzLimits.Input);
        var summary = new StringBuilder();

        // Each frame consumes at least its 2-byte prefix, so this ends within input length / 2 passes.
        while (true)
        {
            DecodeStatus status = decoder.Decode(ref buffer, out Frame frame, out ProtocolError error);
            switch (status)
            {
                case DecodeStatus.Frame:
                    Describe(summary, frame, withByteOrder: true);
                    if (roundTrip)
                    {
                        RequireRoundTrip(frame);
                    }

                    break;
                case DecodeStatus.Error:
                    return summary.Append(error.ToString()).Append(';').ToString();
                default:
                    return summary.Append("more;").ToString();
            }
        }
    }

    // The bytes handed over as they arrive: each call sees what is left unconsumed plus the next chunk.
    private static string Arriving(byte[] bytes, int chunk)
    {
        var decoder = new FrameDecoder(FuzzLimits.Input);
        var summary = new StringBuilder();
        int consumed = 0;
        int end = 0;
        while (true)
        {
            end = Math.Min(end + chunk, bytes.Length);
            var buffer = new ReadOnlySequence<byte>(bytes, consumed, end - consumed);
            DecodeStatus status;
            while ((status = decoder.Decode(ref buffer, out Frame frame, out ProtocolError error)) != DecodeStatus.NeedMoreData)
            {
                if (status == DecodeStatus.Error)
                {
                    return summary.Append(error.ToString()).Append(';').ToString();
                }

                Describe(summary, frame, withByteOrder: true);
            }

            consumed = end - (int)buffer.Length;
            if (end == bytes.Length)
            {
                return summary.Append("more;").ToString();
            }
        }
    }

    private static void Describe(StringBuilder summary, in Frame frame, bool withByteOrder)
    {
        FrameHeader header = frame.Header;
        if (frame.Content.Length != header.ContentLength || header.ContentLength > FuzzLimits.Input.MaxContentLength)
        {
            throw new InvariantException($"A frame of {frame.Content.Length} bytes came with content-length {header.ContentLength} and a {FuzzLimits.Input.MaxContentLength}-byte limit.");
        }

        if (withByteOrder)
        {
            summary.Append(header.ByteOrder).Append('|');
        }

        summary.Append(header.ContentType).Append('|').Append(header.ContentEncoding).Append('|').Append(header.ContentLength);
        foreach (HeaderField field in header.CustomHeaders)
        {
            summary.Append('|').Append(field.Name).Append('=').Append(field.RawJson);
        }

        summary.Append('|').Append(Fingerprint(frame.Content)).Append(';');
    }

    // What the encoder writes for a decoded frame must decode to the same frame (in this machine's byte order).
    private static void RequireRoundTrip(in Frame frame)
    {
        FrameHeader header = frame.Header;
        var written = new ArrayBufferWriter<byte>();
        FrameEncoder.Write(written, header.ContentType, header.ContentEncoding, frame.Content, header.CustomHeaders);

        var buffer = new ReadOnlySequence<byte>(written.WrittenMemory);
        DecodeStatus status = new FrameDecoder(FuzzLimits.Written).Decode(ref buffer, out Frame again, out ProtocolError error);
        if (status != DecodeStatus.Frame || !buffer.IsEmpty)
        {
            throw new InvariantException($"A re-encoded frame did not decode as one frame: {status} {error}, {buffer.Length} bytes left.");
        }

        var expected = new StringBuilder();
        var actual = new StringBuilder();
        Describe(expected, frame, withByteOrder: false);
        Describe(actual, again, withByteOrder: false);
        RequireSame(expected.ToString(), actual.ToString(), "after re-encoding");
    }

    // FNV-1a over the content: enough to tell two contents apart without keeping them.
    private static uint Fingerprint(in ReadOnlySequence<byte> content)
    {
        uint hash = 2166136261;
        foreach (ReadOnlyMemory<byte> segment in content)
        {
            foreach (byte b in segment.Span)
            {
                hash = (hash ^ b) * 16777619;
            }
        }

        return hash;
    }
}
