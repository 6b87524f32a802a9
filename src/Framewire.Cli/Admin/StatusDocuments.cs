using System.Text.Json;
using Framewire.Engines;
using Framewire.Engines.Internal;
using Framewire.Protocol;
using Framewire.Protocol.Internal;

namespace Framewire.Cli.Admin;

/// <summary>
/// The served server's <see cref="StatusDocument"/>: what the admin endpoint answers to <c>{"action": "status"}</c>
/// and to <c>GET /api/status</c>.
/// </summary>
internal static class StatusDocuments
{
    /// <summary>The document as UTF-8 JSON, the bytes both protocols send.</summary>
    public static byte[] CreateUtf8(MessageServer server) =>
        JsonSerializer.SerializeToUtf8Bytes(Create(server), AdminJsonContext.Default.StatusDocument);

    private static StatusDocument Create(MessageServer server)
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
            errors[ErrorCodes.ToWireString(code)] = count;
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
            ServerMetrics.For(statistics.Engine).Engine,
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
