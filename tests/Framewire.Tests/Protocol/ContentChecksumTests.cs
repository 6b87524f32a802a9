using System.Buffers;
using System.Text;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Protocol;

public sealed class ContentChecksumTests
{
    // RFC 3720 (iSCSI), appendix B.4, with each CRC as the 32-bit number the header writes; and the check value of
    // the CRC catalogue's CRC-32/ISCSI for "123456789".
    public static TheoryData<byte[], string> Crc32CVectors() => new()
    {
        { new byte[32], "crc32c:8a9136aa" },
        { Enumerable.Repeat((byte)0xFF, 32).ToArray(), "crc32c:62a8ab43" },
        { Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), "crc32c:46dd794e" },
        { Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray(), "crc32c:113fdb5c" },
        { "123456789"u8.ToArray(), "crc32c:e3069283" },
        { [], "crc32c:00000000" },
    };

    [Theory]
    [MemberData(nameof(Crc32CVectors))]
    public void WriteValue_Crc32C_IsTheRfc3720Value(byte[] content, string expected)
    {
        Assert.Equal(expected, Frames.Checksum(ChecksumAlgorithm.Crc32C, content));
    }

    [Fact]
    public void WriteValue_Sha256_IsTheFips180Value()
    {
        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Frames.Checksum(ChecksumAlgorithm.Sha256, "abc"u8));
    }

    [Theory]
    [InlineData(ChecksumAlgorithm.Crc32C)]
    [InlineData(ChecksumAlgorithm.Sha256)]
    public void WriteValue_SplitContent_SameAsWhole(ChecksumAlgorithm algorithm)
    {
        byte[] content = Enumerable.Range(0, 20_000).Select(i => (byte)(i * 7)).ToArray();
        Span<byte> whole = stackalloc byte[ContentChecksum.MaxValueLength];
        Span<byte> split = stackalloc byte[ContentChecksum.MaxValueLength];

        int length = ContentChecksum.WriteValue(algorithm, content, whole);
        int splitLength = ContentChecksum.WriteValue(algorithm, Frames.Segmented(content, 1, 4097, 16000), split);

        Assert.Equal(ContentChecksum.GetValueLength(algorithm), length);
        Assert.Equal(whole[..length].ToArray(), split[..splitLength].ToArray());
    }

    [Theory]
    [InlineData("crc32c:e3069283")]
    [InlineData("sha256:15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225")]
    public void TryVerify_MatchingValue_True(string value)
    {
        Assert.True(ContentChecksum.TryVerify(value, new ReadOnlySequence<byte>("123456789"u8.ToArray()), out ProtocolError error));
        Assert.Equal(ErrorCode.None, error.Code);
    }

    [Theory]
    [InlineData("crc32c:e3069284")]
    [InlineData("sha256:15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb226")]
    public void TryVerify_OtherContent_ChecksumMismatchNamingBoth(string value)
    {
        Assert.False(ContentChecksum.TryVerify(value, new ReadOnlySequence<byte>("123456789"u8.ToArray()), out ProtocolError error));
        Assert.Equal(ErrorCode.ChecksumMismatch, error.Code);
        Assert.Equal("checksum_mismatch", error.WireCode);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("md5:25f9e794323b453885f5181f1b624d0b", "names no known algorithm")]
    [InlineData("CRC32C:e3069283", "names no known algorithm")]
    [InlineData("crc32c:E3069283", "lower-case hex")]
    [InlineData("crc32c:e306928", "8 lower-case hex")]
    [InlineData("crc32c:e30692830", "8 lower-case hex")]
    [InlineData("crc32c:e306928g", "8 lower-case hex")]
    [InlineData("sha256:e3069283", "64 lower-case hex")]
    [InlineData("", "names no known algorithm")]
    public void TryVerify_MalformedValue_ChecksumInvalid(string value, string expected)
    {
        Assert.False(ContentChecksum.TryVerify(value, new ReadOnlySequence<byte>("123456789"u8.ToArray()), out ProtocolError error));
        Assert.Equal(ErrorCode.ChecksumInvalid, error.Code);
        Assert.Equal("checksum_invalid", error.WireCode);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("[\"crc32c:e3069283\"]")]
    public void TryVerify_ValueNotAString_ChecksumInvalid(string rawJson)
    {
        Assert.False(ContentChecksum.TryVerify(new HeaderField(ContentChecksum.HeaderName, rawJson), new ReadOnlySequence<byte>("123456789"u8.ToArray()), out ProtocolError error));
        Assert.Equal(ErrorCode.ChecksumInvalid, error.Code);
    }

    [Fact]
    public void TryVerify_EscapedValue_DecodedFirst()
    {
        var field = new HeaderField(ContentChecksum.HeaderName, "\"\\u0063rc32c:e3069283\"");

        Assert.True(ContentChecksum.TryVerify(field, new ReadOnlySequence<byte>("123456789"u8.ToArray()), out _));
    }

    // Found by the checksum fuzz target (fuzz/README.md): the JSON serializer threw for an escaped lone surrogate.
    [Theory]
    [InlineData("\"crc32c:\\ud800\"")]
    [InlineData("\"\\udc00crc32c:e3069283\"")]
    public void TryVerify_LoneSurrogateEscape_ChecksumInvalid(string rawJson)
    {
        Assert.False(ContentChecksum.TryVerify(new HeaderField(ContentChecksum.HeaderName, rawJson), new ReadOnlySequence<byte>("123456789"u8.ToArray()), out ProtocolError error));
        Assert.Equal(ErrorCode.ChecksumInvalid, error.Code);
    }

    [Fact]
    public void TryVerify_FrameWithoutTheHeader_True()
    {
        var frame = new Frame(new FrameHeader("little", "text/json", "utf-8", 2), new ReadOnlySequence<byte>("{}"u8.ToArray()));

        Assert.True(ContentChecksum.TryVerify(frame, out _));
    }

    [Fact]
    public void TryVerify_TooLongValue_MessageQuotesOnlyItsStart()
    {
        string value = "crc32c:" + new string('a', 5000);

        Assert.False(ContentChecksum.TryVerify(value, new ReadOnlySequence<byte>([]), out ProtocolError error));
        Assert.True(error.Message.Length < 300, error.Message);
    }

    [Theory]
    [InlineData(ChecksumAlgorithm.Crc32C, 64)]
    [InlineData(ChecksumAlgorithm.Crc32C, 16 * 1024)]
    [InlineData(ChecksumAlgorithm.Sha256, 64)]
    [InlineData(ChecksumAlgorithm.Sha256, 16 * 1024)]
    public void TryVerify_WarmWholeOrSplitContent_AllocatesNothing(ChecksumAlgorithm algorithm, int size)
    {
        byte[] bytes = Enumerable.Range(0, size).Select(i => (byte)i).ToArray();
        var whole = new ReadOnlySequence<byte>(bytes);
        ReadOnlySequence<byte> split = Frames.Segmented(bytes, size / 3, size / 2);
        var field = HeaderField.FromString(ContentChecksum.HeaderName, Frames.Checksum(algorithm, bytes));
        var frame = new Frame(new FrameHeader("little", "binary", "binary", size, [field]), split);

        long allocated = Allocations.OfWarm(() =>
        {
            Assert.True(ContentChecksum.TryVerify(field, whole, out _));
            Assert.True(ContentChecksum.TryVerify(frame, out _));
        });

        Assert.Equal(0, allocated);
    }
}
