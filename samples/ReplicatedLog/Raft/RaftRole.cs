namespace ReplicatedLog.Raft;

/// <summary>What a node is in its current term.</summary>
internal enum RaftRole
{
    /// <summary>Answers the leader and the candidates; becomes a candidate when it hears from no leader in time.</summary>
    Follower,

    /// <summary>Asks for votes in a term of its own.</summary>
    Candidate,

    /// <summary>Appends the clients' writes and replicates them; at most one per term.</summary>
    Leader,
}
