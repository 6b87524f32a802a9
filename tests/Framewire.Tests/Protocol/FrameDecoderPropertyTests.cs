using System.Buffers;
using CsCheck;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Protocol;

/// <summary>Random frame streams, random splits and random corruption: what the decoder must do for all of them.</summary>
public class FrameDecoderPropertyTests
{
    // Small limits, so random corruption of a length field often lands above them.
    private static readonly FrameLimits Limits = new() { MaxHeaderLength = 512, MaxContentLength = 4096 };

    private static readonly Gen<(string Type, byte[] Content)> GenFrame =
        Gen.Select(Gen.OneOf("text/json", "binary/custom-client-binary-type", "x"), Gen.Byte.Array[0, 300]);

    private static readonly Gen<int[]> GenChunkSizes = Gen.Int[1, 64].Array[1, 32];

    [Fact]
    public void Decode_ValidStreamInRandomChunks_DecodesEveryFrameAsSent()
    {
        Gen.Select(GenFrame.Array[1, 8], GenChunkSizes).Sample((frames, chunks) =>
        {
            List<(string Type, byte[] Content)> decoded = DecodeInChunks(Encode(frames), chunks, out ProtocolError? error);

            Assert.Null(error);
            Assert.Equal(frames.Length, decoded.Count);
            for (int i = 0; i < frames.Length; i++)
            {
                Assert.Equal(frames[i].Type, decoded[i].Type);
                Assert.Equal(frames[i].Content, decoded[i].Content);
            }
        }, iter: 300);
    }

    [Fact]
    public void Decode_MutatedStream_OnlyTypedResultsWithinLimits()
    {
        Gen.Select(GenFrame.Array[1, 6], ByteMutations.Gen, GenChunkSizes).Sample((frames, changes, chunks) =>
        {
            byte[] stream = ByteMutations.Apply(Encode(frames), changes);

            // Any exception escapes and fails the property: the decoder may only answer with a status.
            List<(string Type, byte[] Content)> decoded = DecodeInChunks(stream, chunks, out ProtocolError? error);

            Assert.All(decoded, frame => Assert.InRange(frame.Content.Length, 0, Limits.MaxContentLength));
            if (error is { } refused)
            {
                Assert.True(Enum.IsDefined(refused.Code));
                Assert.False(string.IsNullOrEmpty(refused.Message));
            }
        }, iter: 1000);
    }

    [Fact]
    public void Decode_RandomBytes_OnlyTypedResultsWithinLimits()
    {
        Gen.Select(Gen.Byte.Array[0, 600], GenChunkSizes).Sample((bytes, chunks) =>
        {
            DecodeInChunks(bytes, chunks, out _);
        }, iter: 1000);
    }

    /// <summary>
    /// Feeds <paramref name="stream"/> in chunks of the given sizes (cycled), keeping what the decoder leaves, as an
    /// engine does; checks after every call that the decoder never waits for more than the limits allow.
    /// </summary>
    private static List<(string Type, byte[] Content)> DecodeInChunks(byte[] stream, int[] chunks, out ProtocolError? error)
    {
        var decoder = new FrameDecoder(Limits);
        var decoded = new List<(string, byte[])>();
        byte[] pending = [];
        int offset = 0;
        for (int i = 0; offset < stream.Length; i++)
        {
            int size = Math.Min(chunks[i % chunks.Length], stream.Length - offset);
            byte[] buffered = [.. pending, .. stream.AsSpan(offset, size)];
            offset += size;

            // Two segments, so the decoder's multi-segment paths run too.
            ReadOnlySequence<byte> buffer = Frames.Segmented(buffered, buffered.Length / 2);
            while (true)
            {
                DecodeStatus status = decoder.Decode(ref buffer, out Frame frame, out ProtocolError refused);
                if (status == DecodeStatus.Error)
                {
                    error = refused;
                    return decoded;
                }

                if (status == DecodeStatus.NeedMoreData)
                {
                    // Waiting is bounded: for content no larger than the limit, or for a header no larger than its limit.
                    if (decoder.IsAwaitingContent)
                    {
                        Assert.InRange(decoder.AwaitedContentLength, 0, Limits.MaxContentLength);
                        Assert.True(buffer.Length < decoder.AwaitedContentLength);
                    }
                    else
                    {
                        Assert.True(buffer.Length < 2 + Limits.MaxHeaderLength, $"{buffer.Length} bytes held without a decision");
                    }

                    break;
                }

                decoded.Add((frame.Header.ContentType, frame.Content.ToArray()));
            }

            pending = buffer.ToArray();
        }

        error = null;
        return decoded;
    }

    private static byte[] Encode((string Type, byte[] Content)[] frames)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach ((string type, byte[] content) in frames)
        {
            FrameEncoder.Write(writer, type, type == "text/json" ? "utf-8" : "binary", content);
        }

        return writer.WrittenSpan.ToArray();
    }
}
