namespace Framewire.Cli.Bench;

/// <summary>Why a request got no correct answer.</summary>
internal enum ErrorKind
{
    /// <summary>The answer's bytes differ from the expected ones (or bytes came that nobody asked for).</summary>
    Mismatch,

    /// <summary>The server closed the connection while answers were owed.</summary>
    Closed,

    /// <summary>The connection was reset or failed.</summary>
    Reset,

    /// <summary>No progress on a connection with requests in flight within the timeout.</summary>
    Timeout,

    /// <summary>A connection could not be opened.</summary>
    Connect,
}
