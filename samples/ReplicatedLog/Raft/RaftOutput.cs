namespace ReplicatedLog.Raft;

/// <summary>
/// What a <see cref="RaftNode"/> asks of its owner after it took a message, a tick or a proposal, in this order:
/// persist the changed term and vote and the log from <see cref="FirstChangedIndex"/> and sync them to disk, then send
/// <see cref="Messages"/>, then apply <see cref="Committed"/>. Nothing leaves the node before what it promised is on
/// disk. One output may gather several steps; <see cref="Clear"/> it after each round.
/// </summary>
internal sealed class RaftOutput
{
    /// <summary>Messages to send, each to the peer it names.</summary>
    public List<(string To, RaftMessage Message)> Messages { get; } = [];

    /// <summary>Newly committed entries with their indexes, in log order.</summary>
    public List<(long Index, LogEntry Entry)> Committed { get; } = [];

    /// <summary>True when the term or the vote changed.</summary>
    public bool StateChanged { get; set; }

    /// <summary>
    /// The first log index whose entry changed (0 when none did): every entry from there to the last must be written,
    /// and any entry the store holds beyond the new end is gone.
    /// </summary>
    public long FirstChangedIndex { get; private set; }

    public bool HasWork => StateChanged || FirstChangedIndex != 0 || Messages.Count > 0 || Committed.Count > 0;

    public void LogChangedFrom(long index)
    {
        if (FirstChangedIndex == 0 || index < FirstChangedIndex)
        {
            FirstChangedIndex = index;
        }
    }

    public void Clear()
    {
        Messages.Clear();
        Committed.Clear();
        StateChanged = false;
        FirstChangedIndex = 0;
    }
}
