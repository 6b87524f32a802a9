namespace ReplicatedLog.Raft;

/// <summary>What a node must find again after a restart: its term, its vote in that term, and its log.</summary>
internal sealed record PersistentState(long CurrentTerm, string? VotedFor, IReadOnlyList<LogEntry> Log)
{
    public static PersistentState Empty { get; } = new(0, null, []);
}
