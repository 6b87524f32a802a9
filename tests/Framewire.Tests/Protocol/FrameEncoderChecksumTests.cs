using System.Buffers;
using System.Text;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Protocol;

public sealed class FrameEncoderChecksumTests
{
    [Fact]
    public void Write_NoChecksum_SameBytesAsWithout()
    {
        Assert.Equal(Frames.Json("{}"), Frames.Encode("text/json", "utf-8", "{}"u8, checksum: ChecksumAlgorithm.None));
    }

    [Fact]
    public void Write_Crc32C_HeaderEndsWithTheChecksum()
    {
        byte[] frame = Frames.Encode("text/json", "utf-8", "123456789"u8, checksum: ChecksumAlgorithm.Crc32C);

        string header = Encoding.UTF8.GetString(frame, 2, (frame[0] << 8) | frame[1]);
        Assert.Equal(
            "{\"byteorder\": \"little\", \"content-type\": \"text/json\", \"content-encoding\": \"utf-8\", \"content-length\": 9, \"content-checksum\": \"crc32c:e3069283\"}",
            header);
    }

    [Theory]
    [InlineData(ChecksumAlgorithm.Crc32C)]
    [InlineData(ChecksumAlgorithm.Sha256)]
    public void Write_Checksum_DecodesAndVerifies(ChecksumAlgorithm algorithm)
    {
        var bytes = new ReadOnlySequence<byte>(Frames.Encode("text/json", "utf-8", "{\"result\": 1}"u8, checksum: algorithm));

        Assert.Equal(DecodeStatus.Frame, new FrameDecoder().Decode(ref bytes, out Frame frame, out _));
        Assert.Equal(ContentChecksum.HeaderName, Assert.Single(frame.Header.CustomHeaders).Name);
        Assert.True(ContentChecksum.TryVerify(frame, out _));
    }

    [Fact]
    public void Write_CustomHeadersCarryAChecksum_NoSecondOne()
    {
        HeaderField[] custom = [HeaderField.FromString(ContentChecksum.HeaderName, "crc32c:00000000")];
        var writer = new ArrayBufferWriter<byte>();

        FrameEncoder.Write(writer, "text/json", "utf-8", "{}"u8, custom, ChecksumAlgorithm.Sha256);

        Assert.Equal(Frames.Encode("text/json", "utf-8", "{}"u8, custom), writer.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(ChecksumAlgorithm.Crc32C)]
    [InlineData(ChecksumAlgorithm.Sha256)]
    public void WriteWithChecksum_EncodedFrame_SameBytesAsEncodingWithIt(ChecksumAlgorithm algorithm)
    {
        var writer = new ArrayBufferWriter<byte>();

        FrameEncoder.WriteWithChecksum(writer, Frames.Encode("text/json", "utf-8", "{\"result\": \"x\"}"u8), algorithm);

        Assert.Equal(Frames.Encode("text/json", "utf-8", "{\"result\": \"x\"}"u8, checksum: algorithm), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteWithChecksum_FrameThatHasOne_Unchanged()
    {
        byte[] frame = Frames.Encode("text/json", "utf-8", "{}"u8, checksum: ChecksumAlgorithm.Crc32C);
        var writer = new ArrayBufferWriter<byte>();

        FrameEncoder.WriteWithChecksum(writer, frame, ChecksumAlgorithm.Sha256);

        Assert.Equal(frame, writer.WrittenSpan.ToArray());
    }

    // Found by the checksum fuzz target (fuzz/README.md): a second checksum key made the header a duplicate-key error.
    [Fact]
    public void WriteWithChecksum_FrameThatHasOneUnderAnEscapedKey_Unchanged()
    {
        byte[] frame = Frames.Raw("{\"byteorder\": \"little\", \"content-type\": \"binary\", \"content-encoding\": \"binary\", \"content-length\": 9, \"content\\u002dchecksum\": \"crc32c:e3069283\"}", "123456789"u8);
        var writer = new ArrayBufferWriter<byte>();

        FrameEncoder.WriteWithChecksum(writer, frame, ChecksumAlgorithm.Sha256);

        Assert.Equal(frame, writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void WriteWithChecksum_EscapesButNoChecksum_Added()
    {
        byte[] frame = Frames.Raw("{\"byteorder\": \"little\", \"content-type\": \"text\\/json\", \"content-encoding\": \"utf-8\", \"content-length\": 2}", "{}"u8);
        var writer = new ArrayBufferWriter<byte>();

        FrameEncoder.WriteWithChecksum(writer, frame, ChecksumAlgorithm.Crc32C);

        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.Equal(DecodeStatus.Frame, new FrameDecoder().Decode(ref buffer, out Frame written, out _));
        Assert.NotNull(written.Header.GetCustomHeader(ContentChecksum.HeaderName));
        Assert.True(ContentChecksum.TryVerify(written, out _));
    }
}
