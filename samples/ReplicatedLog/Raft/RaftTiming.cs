namespace ReplicatedLog.Raft;

/// <summary>
/// The node's timers, in milliseconds of whatever clock its owner feeds it. The defaults suit a few nodes on one
/// machine or one network: a heartbeat every 50 ms, so that a follower that misses six in a row (300 ms) stands for
/// election, randomly within 300–600 ms so that two followers seldom stand at once; a dead leader is replaced in
/// well under a second.
/// </summary>
internal sealed record RaftTiming(long HeartbeatMilliseconds = 50, long ElectionMinMilliseconds = 300, long ElectionMaxMilliseconds = 600)
{
    /// <summary>
    /// The most entries in one append: 128 entries of a few dozen bytes each keep a message near 8 KiB, so that a
    /// follower catching up after a restart takes several of them rather than one frame the size of the log.
    /// </summary>
    public int MaxEntriesPerAppend { get; init; } = 128;

    /// <summary>
    /// The most entries sent to one follower and not yet acknowledged: a follower that is down costs the leader at
    /// most this many entries of sending before it waits for an answer.
    /// </summary>
    public int MaxEntriesInFlight { get; init; } = 1024;
}
