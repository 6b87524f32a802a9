namespace ReplicatedLog.Wire;

/// <summary>A node's answer to <c>status</c>.</summary>
internal sealed record StatusReply(int Id, string Address, string Role, long Term, string? Leader, long CommitIndex, long LastLogIndex, IReadOnlyList<PeerStatus> Peers);

/// <summary>A peer as a node sees it; <paramref name="MatchIndex"/> is known only to the leader.</summary>
internal sealed record PeerStatus(string Address, long? MatchIndex);
