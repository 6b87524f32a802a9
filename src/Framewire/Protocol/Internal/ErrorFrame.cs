using System.Buffers;
using System.Text.Json;
using Framewire.Internal;

namespace Framewire.Protocol.Internal;

/// <summary>
/// The frame a server answers refused input with: <c>text/json</c>, UTF-8, content
/// <c>{"result": "Error: …", "error": {"code": "…", "message": "…"}}</c>. The <c>result</c> text is what the tutorial's
/// client prints; <c>error</c> is for programs.
/// </summary>
internal static class ErrorFrame
{
    /// <summary>Writes the error frame for <paramref name="error"/> to <paramref name="output"/>, with a checksum when asked.</summary>
    public static void Write(IBufferWriter<byte> output, ProtocolError error, ChecksumAlgorithm checksum = ChecksumAlgorithm.None)
    {
        var content = new PooledBufferWriter();
        try
        {
            WriteContent(content, error);
            FrameEncoder.Write(output, ContentTypes.Json, ContentTypes.Utf8, content.WrittenSpan, null, checksum);
        }
        finally
        {
            content.Release();
        }
    }

    /// <summary>Writes only the JSON content of the error frame for <paramref name="error"/>.</summary>
    public static void WriteContent(IBufferWriter<byte> output, ProtocolError error)
    {
        var json = new PythonJsonWriter(output);
        json.WriteStartObject();
        json.WritePropertyName("result");
        json.WriteStringValue("Error: " + error.Message);
        json.WritePropertyName("error");
        json.WriteStartObject();
        json.WritePropertyName("code");
        json.WriteStringValue(error.WireCode);
        json.WritePropertyName("message");
        json.WriteStringValue(error.Message);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// Reads an error from UTF-8 JSON content, if the content is an error frame's
    /// (an object with <c>error.code</c> and <c>error.message</c> strings).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> utf8Json, out ProtocolError error, out string wireCode)
    {
        error = default;
        wireCode = string.Empty;
        try
        {
            using JsonDocument document = JsonDocument.Parse(utf8Json.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("error", out JsonElement detail) ||
                detail.ValueKind != JsonValueKind.Object ||
                !detail.TryGetProperty("code", out JsonElement code) || code.ValueKind != JsonValueKind.String ||
                !detail.TryGetProperty("message", out JsonElement message) || message.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            wireCode = code.GetString()!;
            ErrorCode known = ErrorCodes.TryParse(wireCode, out ErrorCode parsed) ? parsed : ErrorCode.InternalError;
            error = new ProtocolError(known, message.GetString()!);
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a code or message that escapes a lone surrogate has no string to give.
            return false;
        }
    }
}
