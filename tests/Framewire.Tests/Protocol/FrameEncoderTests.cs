using System.Buffers;
using System.Text;
using Framewire.Protocol;
using Framewire.Protocol.Internal;
using Framewire.Tests.Support;

namespace Framewire.Tests.Protocol;

public class FrameEncoderTests
{
    [Fact]
    public void Write_JsonFrame_MatchesPythonLayout()
    {
        byte[] content = Encoding.UTF8.GetBytes("{\"result\": \"x\"}");

        byte[] frame = Frames.Encode("text/json", "utf-8", content);

        string expectedHeader = "{\"byteorder\": \"little\", \"content-type\": \"text/json\", \"content-encoding\": \"utf-8\", \"content-length\": 15}";
        Assert.Equal(Frames.Raw(expectedHeader, content), frame);
    }

    [Fact]
    public void Write_CustomHeaders_FollowRequiredKeys()
    {
        byte[] frame = Frames.Encode("a", "b", "xy"u8, [HeaderField.FromString("x-id", "7\"q"), new HeaderField("x-n", "42")]);

        string expectedHeader = "{\"byteorder\": \"little\", \"content-type\": \"a\", \"content-encoding\": \"b\", \"content-length\": 2, \"x-id\": \"7\\\"q\", \"x-n\": 42}";
        Assert.Equal(Frames.Raw(expectedHeader, "xy"u8), frame);
    }

    [Fact]
    public void Write_ThenDecode_RoundTrips()
    {
        byte[] content = new byte[70_000];
        new Random(7).NextBytes(content);
        var writer = new ArrayBufferWriter<byte>();
        FrameEncoder.Write(writer, "application/octet-stream", "binary", new ReadOnlySequence<byte>(content), [new HeaderField("x-seq", "1")]);

        var decoder = new FrameDecoder();
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.Equal(DecodeStatus.Frame, decoder.Decode(ref buffer, out Frame frame, out _));
        Assert.Equal("application/octet-stream", frame.Header.ContentType);
        Assert.Equal(content, frame.Content.ToArray());
        Assert.Equal("1", frame.Header.GetCustomHeader("x-seq"));
    }

    [Fact]
    public void Write_MultiSegmentContent_WritesAllSegments()
    {
        byte[] content = Encoding.ASCII.GetBytes("abcdefghij");
        var writer = new ArrayBufferWriter<byte>();

        FrameEncoder.Write(writer, "binary/x", "binary", Frames.Segmented(content, 3, 7));

        Assert.Equal(Frames.Encode("binary/x", "binary", content), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void GetHeaderLength_EqualsWhatIsWritten()
    {
        foreach (int length in new[] { 0, 9, 10, 99, 100, 12345, int.MaxValue })
        {
            var writer = new ArrayBufferWriter<byte>();
            int written = FrameEncoder.WriteHeader(writer, "text/json", "utf-8", length);
            Assert.Equal(FrameEncoder.GetHeaderLength("text/json", "utf-8", length) + 2, written);
            Assert.Equal(written - 2, (writer.WrittenSpan[0] << 8) | writer.WrittenSpan[1]);
        }
    }

    [Fact]
    public void ErrorFrame_CarriesResultAndCode()
    {
        var writer = new ArrayBufferWriter<byte>();
        ErrorFrame.Write(writer, new ProtocolError(ErrorCode.HeaderTooLarge, "too big"));

        var decoder = new FrameDecoder();
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.Equal(DecodeStatus.Frame, decoder.Decode(ref buffer, out Frame frame, out _));
        string json = Encoding.UTF8.GetString(frame.Content.ToArray());
        Assert.Equal("{\"result\": \"Error: too big\", \"error\": {\"code\": \"header_too_large\", \"message\": \"too big\"}}", json);
        Assert.True(ErrorFrame.TryRead(frame.Content.ToArray(), out ProtocolError error, out string wire));
        Assert.Equal(ErrorCode.HeaderTooLarge, error.Code);
        Assert.Equal("header_too_large", wire);
    }
}
