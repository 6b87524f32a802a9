namespace ReplicatedLog.Commands;

/// <summary>The exit codes of every command.</summary>
internal enum ExitCode
{
    /// <summary>The write is committed, the key was found, the node answered.</summary>
    Success = 0,

    /// <summary>No answer in time, no leader, or the key has no value.</summary>
    Failure = 1,

    /// <summary>The command line was wrong.</summary>
    Usage = 2,
}
