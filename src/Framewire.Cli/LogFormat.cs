namespace Framewire.Cli;

/// <summary>How the server commands write their logs to stderr (<c>--log-format</c>).</summary>
internal enum LogFormat
{
    /// <summary>One readable line per event.</summary>
    Console,

    /// <summary>One JSON object per line, for log collectors.</summary>
    Json,
}
