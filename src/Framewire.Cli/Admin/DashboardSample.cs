namespace Framewire.Cli.Admin;

/// <summary>
/// One second of the served server, as the dashboard charts it: rates over the second before <see cref="Time"/>
/// (Unix milliseconds), connections open at its end, errors by wire code, and the request latency's median and 99th
/// percentile in milliseconds (null in a second without requests).
/// </summary>
internal sealed record DashboardSample(
    long Time,
    int Active,
    double MessagesIn,
    double MessagesOut,
    double BytesIn,
    double BytesOut,
    IReadOnlyDictionary<string, long> Errors,
    long Requests,
    double? P50,
    double? P99);
