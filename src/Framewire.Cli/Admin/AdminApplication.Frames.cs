using System.Buffers;
using System.Text.Json;
using Framewire.Engines;
using Framewire.Internal;
using Framewire.Protocol;
using Framewire.Protocol.Internal;

namespace Framewire.Cli.Admin;

/// <summary>The frame protocol side: <c>{"action": "status"}</c>, answered in order, pipelined or not.</summary>
internal sealed partial class AdminApplication
{
    private readonly FrameDecoder _decoder = new();
    private readonly PooledBufferWriter _transcoded = new();

    private ProcessStatus ProcessFrames(ref ReadOnlySequence<byte> input, ConnectionOutput output)
    {
        while (true)
        {
            if (!input.IsEmpty && output.IsFull)
            {
                return ProcessStatus.Paused;
            }

            DecodeStatus status = _decoder.Decode(ref input, out Frame frame, out ProtocolError error);
            if (status == DecodeStatus.NeedMoreData)
            {
                return ProcessStatus.NeedMoreData;
            }

            if (status == DecodeStatus.Error)
            {
                CloseError = error;
                ErrorFrame.Write(output, error);
                output.CompleteMessage();
                return ProcessStatus.Close;
            }

            if (IsStatusRequest(frame, out ProtocolError refused))
            {
                FrameEncoder.Write(output, ContentTypes.Json, ContentTypes.Utf8, StatusDocuments.CreateUtf8(site.Server));
            }
            else
            {
                ErrorFrame.Write(output, refused);
            }

            output.CompleteMessage();
        }
    }

    private bool IsStatusRequest(in Frame frame, out ProtocolError error)
    {
        try
        {
            if (!TextContent.TryGetUtf8(frame, _transcoded, out ReadOnlySequence<byte> utf8, out error))
            {
                return false;
            }

            using JsonDocument request = JsonDocument.Parse(utf8);
            JsonElement root = request.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("action", out JsonElement action)
                && action.ValueKind == JsonValueKind.String
                && action.ValueEquals("status"u8))
            {
                return true;
            }

            error = new ProtocolError(ErrorCode.InvalidAction, "The admin endpoint answers {\"action\": \"status\"} only.");
            return false;
        }
        catch (JsonException)
        {
            error = new ProtocolError(ErrorCode.ContentNotJson, "The request's content is not JSON.");
            return false;
        }
        finally
        {
            _transcoded.Release();
        }
    }
}
