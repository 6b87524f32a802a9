namespace ReplicatedLog.Wire;

/// <summary>The content types of the node's frames.</summary>
internal static class WireTypes
{
    /// <summary>Messages between nodes: a <see cref="Raft.RaftMessage"/> as UTF-8 JSON.</summary>
    public const string Raft = "application/x-raft+json";
}
