namespace Framewire.Cli;

/// <summary>The exit codes of every framewire command.</summary>
internal enum ExitCode
{
    /// <summary>The command did what it was asked.</summary>
    Success = 0,

    /// <summary>The command ran and failed: no proper answer, a connection error, a bad response.</summary>
    Failure = 1,

    /// <summary>The command line was wrong; usage was printed.</summary>
    Usage = 2,
}
