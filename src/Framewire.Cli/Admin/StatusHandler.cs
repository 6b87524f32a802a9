using System.Text.Json;
using Framewire.Apps;
using Framewire.Cli.Commands;
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

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(Snapshot(server), AdminJsonContext.Default.StatusDocument);
        context.Respond(ContentTypes.Json, ContentTypes.Utf8, json);
        return default;
    }

    private static StatusDocument Snapshot(MessageServer server)
    {
        ServerStatistics statistics = server.GetStatistics();
        IReadOnlyList<ConnectionSnapshot> snapshots = server.GetConnections();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        var connections = new List<StatusConnection>(snapshots.Count);
        foreach (ConnectionSnapshot c in snapshots)
        {
            connections.Add(new StatusConnection(
                c.Id,
                Endpoints.Format(c.RemoteEndPoint),
                Endpoints.Format(c.LocalEndPoint),
                c.ConnectedAt,
                Math.Round(Math.Max(0, (now - c.ConnectedAt).TotalSeconds), 3),
                StateName(c.State),
                c.BytesReceived,
                c.BytesSent,
                c.FramesReceived,
                c.FramesSent,
                c.RequestsInFlight));
        }

        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach ((ErrorCode code, long count) in statistics.Errors)
        {
            errors[new ProtocolError(code, string.Empty).WireCode] = count;
        }

        var counters = new StatusCounters(
            statistics.ActiveConnections,
            statistics.AcceptedConnections,
            statistics.FramesReceived,
            statistics.FramesSent,
            statistics.BytesReceived,
            statistics.BytesSent,
            errors);
        return new StatusDocument(
            Endpoints.Format(server.LocalEndPoint),
            Choice<ServerEngine>.Spell(statistics.Engine),
            now,
            counters,
            connections);
    }

    private static string StateName(ConnectionState state) => state switch
    {
        ConnectionState.Handshake => "handshake",
        ConnectionState.Idle => "idle",
        ConnectionState.Reading => "reading",
        ConnectionState.Processing => "processing",
        ConnectionState.Writing => "writing",
        ConnectionState.Draining => "draining",
        _ => "unknown",
    };
}
