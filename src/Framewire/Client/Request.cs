using System.Buffers;
using System.Text;
using Framewire.Protocol;

namespace Framewire.Client;

/// <summary>
/// A request to send with <see cref="MessageClient"/>: a content type, an encoding and the content. <see cref="Create"/>
/// builds it as the tutorial's app-client does from an action and a value: <c>search</c> becomes the JSON
/// object <c>{"action": "search", "value": v}</c>; any other action becomes the binary content
/// <c>action + value</c> in UTF-8, typed <c>binary/custom-client-binary-type</c>.
/// </summary>
/// <param name="ContentType">The request's content type.</param>
/// <param name="ContentEncoding">The request's content encoding.</param>
/// <param name="Content">The request's content.</param>
public sealed record Request(string ContentType, string ContentEncoding, ReadOnlyMemory<byte> Content)
{
    /// <summary>
    /// True when sending the request twice does no more than sending it once (a lookup, an absolute write): under
    /// <see cref="MessageClientOptions.Retry"/> it is sent again on a fresh connection when the connection drops before
    /// its answer. False (the default) for any other request, which then fails rather than risk being processed twice.
    /// </summary>
    public bool Idempotent { get; init; }

    /// <summary>Builds the request the tutorial's client sends for <paramref name="action"/> and <paramref name="value"/>.</summary>
    public static Request Create(string action, string value)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(value);
        if (action == "search")
        {
            return Json(action, value);
        }

        return new Request(ContentTypes.ClientBinary, ContentTypes.Binary, Encoding.UTF8.GetBytes(action + value));
    }

    /// <summary>The JSON request <c>{"action": action, "value": value}</c>, whatever the action.</summary>
    public static Request Json(string action, string value)
    {
        var content = new ArrayBufferWriter<byte>();
        var json = new PythonJsonWriter(content);
        json.WriteStartObject();
        json.WritePropertyName("action");
        json.WriteStringValue(action);
        json.WritePropertyName("value");
        json.WriteStringValue(value);
        json.WriteEndObject();
        return new Request(ContentTypes.Json, ContentTypes.Utf8, content.WrittenMemory);
    }
}
