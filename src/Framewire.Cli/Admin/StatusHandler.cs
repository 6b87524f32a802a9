using System.Text.Json;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Protocol;

namespace Framewire.Cli.Admin;

/// <summary>Answers <c>{"action": "status"}</c> with the served server's <see cref="StatusDocument"/>.</summary>
internal sealed class StatusHandler(MessageServer server) : IMessageHandler
{
    public ValueTask HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        using (JsonDocument request = JsonDocument.Parse(context.GetJsonUtf8()))
        {
            if (request.RootElement.ValueKind != JsonValueKind.Object
                || !request.RootElement.TryGetProperty("action", out JsonElement action)
                || action.ValueKind != JsonValueKind.String
                || action.GetString() != "status")
            {
                throw new ProtocolException(ErrorCode.InvalidAction, "The admin endpoint answers {\"action\": \"status\"} only.");
            }
        }

        context.Respond(ContentTypes.Json, ContentTypes.Utf8, StatusDocuments.CreateUtf8(server));
        return default;
    }
}
