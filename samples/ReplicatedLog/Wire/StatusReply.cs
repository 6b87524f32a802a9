namespace ReplicatedLog.Wire;

/// <summary>A node's answer to <c>status</c>; <paramref name="Syncs"/> counts the fsyncs of its file since it started.</summary>
internal sealed record StatusReply(int Id, string Address, string Role, long Term, string? Leader, long CommitIndex, long LastLogIndex, long Syncs, IReadOnlyList<PeerStatus> Peers);

/// <summary>
/// A peer as a node sees it: <paramref name="MatchIndex"/> is known only to the leader; the rest is the node's
/// <c>PeerLink</c> to it (its state, messages sent and queued, reconnects, and the last error).
/// </summary>
internal sealed record PeerStatus(string Address, long? MatchIndex, string Link, long Sent, int Queued, long Reconnects, string? LastError);
