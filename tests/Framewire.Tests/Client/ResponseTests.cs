using System.Buffers;
using Framewire.Client;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Client;

public sealed class ResponseTests
{
    [Fact]
    public void GetResultText_LoneSurrogateEscape_TheRawJsonString()
    {
        Response response = Decode(Frames.Json("{\"result\": \"a\\ud800b\"}"));

        Assert.Equal("\"a\\ud800b\"", response.GetResultText());
    }

    [Fact]
    public void TryGetError_LoneSurrogateInTheMessage_NotAnErrorFrame()
    {
        Response response = Decode(Frames.Json("{\"error\": {\"code\": \"invalid_request\", \"message\": \"\\udc00\"}}"));

        Assert.False(response.TryGetError(out _));
    }

    [Fact]
    public void TryGetError_ErrorFrame_TheCodeAndMessage()
    {
        Response response = Decode(Frames.Json("{\"error\": {\"code\": \"invalid_request\", \"message\": \"no\"}}"));

        Assert.True(response.TryGetError(out ProtocolError error));
        Assert.Equal(ErrorCode.InvalidRequest, error.Code);
        Assert.Equal("no", error.Message);
    }

    private static Response Decode(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(DecodeStatus.Frame, new FrameDecoder().Decode(ref buffer, out Frame frame, out _));
        return new Response(frame.Header, frame.Content.ToArray());
    }
}
