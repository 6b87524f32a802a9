namespace Framewire.Cli.Admin;

/// <summary>What the admin endpoint answers to <c>{"action": "status"}</c>, and what <c>framewire status --json</c> prints.</summary>
internal sealed record StatusDocument(
    string Server,
    string Engine,
    DateTimeOffset Time,
    StatusCounters Counters,
    IReadOnlyList<StatusConnection> Connections);
