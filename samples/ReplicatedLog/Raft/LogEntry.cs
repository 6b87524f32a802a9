namespace ReplicatedLog.Raft;

/// <summary>
/// One entry of the replicated log: a write of <paramref name="Value"/> under <paramref name="Key"/>, made in
/// <paramref name="Term"/>. A leader's first entry of its term has no key: it commits nothing for a client, but
/// once it is committed every entry before it is too, which is how a new leader learns what is committed.
/// </summary>
internal sealed record LogEntry(long Term, string? Key, string? Value)
{
    public static LogEntry NoOp(long term) => new(term, null, null);
}
