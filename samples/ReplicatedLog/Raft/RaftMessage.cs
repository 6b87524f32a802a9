using System.Text.Json.Serialization;

namespace ReplicatedLog.Raft;

/// <summary>
/// A message between nodes. Every message carries its sender's term, so that a node that learns of a later term
/// steps down at once, and the sender's address, which is how nodes name one another.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(VoteRequest), "vote")]
[JsonDerivedType(typeof(VoteResponse), "vote-reply")]
[JsonDerivedType(typeof(AppendRequest), "append")]
[JsonDerivedType(typeof(AppendResponse), "append-reply")]
internal abstract record RaftMessage(long Term, string From);

/// <summary>A candidate asks for a vote; its last entry lets the voter refuse a candidate whose log is behind its own.</summary>
internal sealed record VoteRequest(long Term, string From, long LastLogIndex, long LastLogTerm) : RaftMessage(Term, From);

/// <summary>A voter's answer to <see cref="VoteRequest"/>.</summary>
internal sealed record VoteResponse(long Term, string From, bool Granted) : RaftMessage(Term, From);

/// <summary>
/// The leader's entries after <paramref name="PrevLogIndex"/> (none for a heartbeat); the follower takes them only
/// when its own entry at that index has <paramref name="PrevLogTerm"/>.
/// </summary>
internal sealed record AppendRequest(long Term, string From, long PrevLogIndex, long PrevLogTerm, IReadOnlyList<LogEntry> Entries, long LeaderCommit)
    : RaftMessage(Term, From);

/// <summary>
/// A follower's answer to <see cref="AppendRequest"/>. On success <paramref name="MatchIndex"/> is the last index the
/// follower now holds as the leader does; on failure, the index the leader should try as the next previous entry.
/// </summary>
internal sealed record AppendResponse(long Term, string From, bool Success, long MatchIndex) : RaftMessage(Term, From);
