namespace Framewire.Cli.Admin;

/// <summary>The server's counters since it started; errors by their wire code.</summary>
internal sealed record StatusCounters(
    int Active,
    long Accepted,
    long FramesReceived,
    long FramesSent,
    long BytesReceived,
    long BytesSent,
    IReadOnlyDictionary<string, long> Errors);
