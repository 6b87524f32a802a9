using System.Text;
using System.Text.Json;
using Framewire.Protocol;
using Framewire.Protocol.Internal;

namespace Framewire.Client;

/// <summary>A response frame received by <see cref="MessageClient"/>, its content copied out of the receive buffer.</summary>
public sealed class Response
{
    // Only the client reads responses off the wire.
    internal Response(FrameHeader header, ReadOnlyMemory<byte> content)
    {
        Header = header;
        Content = content;
    }

    /// <summary>The response's header.</summary>
    public FrameHeader Header { get; }

    /// <summary>The response's content bytes.</summary>
    public ReadOnlyMemory<byte> Content { get; }

    /// <summary>True for <c>text/json</c> content.</summary>
    public bool IsJson => Header.IsJson;

    /// <summary>Parses JSON content.</summary>
    /// <exception cref="ProtocolException">The content is not JSON, or not in a supported encoding.</exception>
    public JsonDocument ParseJson()
    {
        if (!IsJson)
        {
            throw new ProtocolException(ErrorCode.InvalidRequest, $"The response is {Header.ContentType}, not text/json.");
        }

        byte[] utf8 = DecodeToUtf8();
        try
        {
            return JsonDocument.Parse(utf8);
        }
        catch (JsonException e)
        {
            throw new ProtocolException(ErrorCode.ContentNotJson, $"The response content is not valid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// The <c>result</c> of a JSON response as Python's <c>print</c> would show it (a string as its text,
    /// <c>None</c> when absent), or null for a binary response.
    /// </summary>
    public string? GetResultText()
    {
        if (!IsJson)
        {
            return null;
        }

        using JsonDocument document = ParseJson();
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("result", out JsonElement result))
        {
            return "None";
        }

        return result.ValueKind switch
        {
            JsonValueKind.String => StringOrRawText(result),
            JsonValueKind.True => "True",
            JsonValueKind.False => "False",
            JsonValueKind.Null => "None",
            _ => result.GetRawText(),
        };
    }

    // A result that escapes a lone surrogate is valid JSON but no string: it is shown as the server wrote it.
    private static string StringOrRawText(JsonElement result)
    {
        try
        {
            return result.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return result.GetRawText();
        }
    }

    /// <summary>True when this is an error frame; <paramref name="error"/> then says what the server refused.</summary>
    public bool TryGetError(out ProtocolError error)
    {
        error = default;
        return IsJson && ErrorFrame.TryRead(DecodeToUtf8(), out error, out _);
    }

    private byte[] DecodeToUtf8()
    {
        string encoding = Header.ContentEncoding;
        if (Protocol.Internal.TextContent.IsSupported(encoding))
        {
            var frame = new Frame(Header, new System.Buffers.ReadOnlySequence<byte>(Content));
            Framewire.Internal.PooledBufferWriter? scratch = null;
            try
            {
                if (Protocol.Internal.TextContent.TryGetUtf8(frame, ref scratch, out System.Buffers.ReadOnlySequence<byte> utf8, out ProtocolError error))
                {
                    return System.Buffers.BuffersExtensions.ToArray(utf8);
                }

                throw new ProtocolException(error);
            }
            finally
            {
                scratch?.Release();
            }
        }

        throw new ProtocolException(ErrorCode.UnsupportedEncoding, $"The response's content-encoding '{encoding}' is not supported.");
    }

    /// <inheritdoc/>
    public override string ToString() => IsJson
        ? $"{Header.ContentType} {Encoding.UTF8.GetString(Content.Span)}"
        : $"{Header.ContentType} ({Content.Length} bytes)";
}
