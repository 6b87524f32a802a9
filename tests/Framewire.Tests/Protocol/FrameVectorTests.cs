using System.Buffers;
using System.Text;
using System.Text.Json;
using Framewire.Client;
using Framewire.Internal;
using Framewire.Protocol;
using Framewire.Protocol.Internal;
using Framewire.Tests.Support;

namespace Framewire.Tests.Protocol;

/// <summary>
/// The encoder and decoder against tests/vectors/frames.json, the bytes the Python programs write.
/// The vectors say "byteorder": "little", which is what this encoder writes on the little-endian machines .NET runs on.
/// </summary>
public class FrameVectorTests
{
    public static TheoryData<string> AppClientVectors => FrameVectors.Names(FrameVectors.Vectors.Where(v => v.RequestFromAppClient).Select(v => v.Name));

    public static TheoryData<string> AllVectors => FrameVectors.Names(FrameVectors.Vectors.Select(v => v.Name));

    public static TheoryData<string> DecodeCases => FrameVectors.Names(FrameVectors.DecodeCases.Select(c => c.Name));

    [Fact]
    public void Vectors_CoverJsonBinaryAndDecodeCases()
    {
        // Guards against an emptied or renamed file turning every theory above into zero rows.
        Assert.Contains(FrameVectors.Vectors, v => v.RequestFromAppClient && v.ResponseResult is not null);
        Assert.Contains(FrameVectors.Vectors, v => v.RequestFromAppClient && v.ResponseResult is null);
        Assert.Contains(FrameVectors.Vectors, v => !v.RequestFromAppClient);
        Assert.Contains(FrameVectors.DecodeCases, c => c.CustomHeaders.Count > 0);
        Assert.Contains(FrameVectors.DecodeCases, c => c.JsonText is not null && c.ContentEncoding != "utf-8");
    }

    [Theory]
    [MemberData(nameof(AppClientVectors))]
    public void Request_EncodesThePythonClientsFrame(string name)
    {
        FrameVectors.Vector vector = FrameVectors.Get(name);
        Request request = Request.Create(vector.Action, vector.Value);

        byte[] frame = Frames.Encode(request.ContentType, request.ContentEncoding, request.Content.Span);

        Assert.Equal(Convert.ToHexStringLower(vector.RequestFrame), Convert.ToHexStringLower(frame));
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void PythonServersResponse_DecodesAsThePythonClientReadsIt(string name)
    {
        FrameVectors.Vector vector = FrameVectors.Get(name);
        var buffer = new ReadOnlySequence<byte>(vector.ResponseFrame);

        DecodeStatus status = new FrameDecoder().Decode(ref buffer, out Frame frame, out ProtocolError error);

        Assert.True(status == DecodeStatus.Frame, $"{status}: {error}");
        Assert.True(buffer.IsEmpty);
        var response = new Response(frame.Header, frame.Content.ToArray());
        Assert.Equal(vector.ResponseContentType, response.Header.ContentType);
        Assert.Equal(vector.ResponseContentEncoding, response.Header.ContentEncoding);
        Assert.Equal(vector.ResponseContent, response.Content.ToArray());
        Assert.Equal(vector.ResponseResult, response.GetResultText());
    }

    [Theory]
    [MemberData(nameof(DecodeCases))]
    public void DecodeCase_WholeFrame_GivesTheStatedFields(string name)
    {
        FrameVectors.DecodeCase decodeCase = FrameVectors.GetCase(name);
        var buffer = new ReadOnlySequence<byte>(decodeCase.Frame);

        DecodeStatus status = new FrameDecoder().Decode(ref buffer, out Frame frame, out ProtocolError error);

        Assert.True(status == DecodeStatus.Frame, $"{status}: {error}");
        Assert.True(buffer.IsEmpty);
        AssertDecoded(decodeCase, frame);
    }

    [Theory]
    [MemberData(nameof(DecodeCases))]
    public void DecodeCase_ByteAtATime_GivesTheStatedFields(string name)
    {
        FrameVectors.DecodeCase decodeCase = FrameVectors.GetCase(name);
        var decoder = new FrameDecoder();
        byte[] pending = [];
        for (int arrived = 1; arrived <= decodeCase.Frame.Length; arrived++)
        {
            pending = [.. pending, decodeCase.Frame[arrived - 1]];
            var buffer = new ReadOnlySequence<byte>(pending);
            DecodeStatus status = decoder.Decode(ref buffer, out Frame frame, out ProtocolError error);
            Assert.True(status != DecodeStatus.Error, $"byte {arrived}: {error}");
            if (status == DecodeStatus.Frame)
            {
                Assert.Equal(decodeCase.Frame.Length, arrived);
                Assert.True(buffer.IsEmpty);
                AssertDecoded(decodeCase, frame);
                return;
            }

            pending = buffer.ToArray();
        }

        Assert.Fail("The whole frame arrived but no frame was decoded.");
    }

    private static void AssertDecoded(FrameVectors.DecodeCase expected, in Frame frame)
    {
        Assert.Equal(expected.ByteOrder, frame.Header.ByteOrder);
        Assert.Equal(expected.ContentType, frame.Header.ContentType);
        Assert.Equal(expected.ContentEncoding, frame.Header.ContentEncoding);
        Assert.Equal(expected.ContentLength, frame.Header.ContentLength);
        Assert.Equal(expected.CustomHeaders, frame.Header.CustomHeaders);
        Assert.Equal(Convert.ToHexStringLower(expected.Content), Convert.ToHexStringLower(frame.Content.ToArray()));
        if (expected.JsonText is null)
        {
            return;
        }

        // The path the server reads text/json content through, whatever its content-encoding.
        PooledBufferWriter? scratch = null;
        try
        {
            Assert.True(TextContent.TryGetUtf8(frame, ref scratch, out ReadOnlySequence<byte> utf8, out ProtocolError error), error.ToString());
            Assert.Equal(expected.JsonText, Encoding.UTF8.GetString(utf8.ToArray()));
            using JsonDocument actual = JsonDocument.Parse(utf8);
            using JsonDocument value = JsonDocument.Parse(expected.JsonValue!);
            Assert.True(JsonElement.DeepEquals(value.RootElement, actual.RootElement), $"{actual.RootElement.GetRawText()} is not {expected.JsonValue}");
        }
        finally
        {
            scratch?.Release();
        }
    }
}
