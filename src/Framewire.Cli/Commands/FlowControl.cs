using System.CommandLine;
using Framewire.Hosting;

namespace Framewire.Cli.Commands;

/// <summary>
/// What a server command was told about read-ahead and slow peers: <c>--max-in-flight</c>, <c>--send-high-water</c>,
/// <c>--send-limit</c>, <c>--min-data-rate</c>. Null keeps the server's default.
/// </summary>
internal sealed record FlowControl(int? MaxInFlight, long? SendHighWater, long? SendLimit, long? MinDataRate)
{
    public static FlowControl None { get; } = new(null, null, null, null);

    /// <summary>The server commands' options, built fresh for each command, and a reader of their values.</summary>
    public static (Option[] Options, Func<ParseResult, FlowControl> Read) CreateOptions()
    {
        Option<int?> maxInFlight = CommonArguments.Count(
            "--max-in-flight", "Requests a connection reads ahead of the responses its client has taken; then it stops reading (default 16)");
        Option<long?> highWater = CommonArguments.OptionalSize("--send-high-water", "Stop reading from a client this far behind on its responses (default 64KiB)");
        Option<long?> limit = CommonArguments.OptionalSize("--send-limit", "Close a client as a slow consumer when this much output is stuck for it (default 1MiB)");
        Option<long?> minRate = CommonArguments.OptionalSize("--min-data-rate", "Bytes per second a client must send a frame's content and read its responses at, after a 5 s grace; 0 no minimum (default 240)");
        minRate.HelpName = "bytes/s";
        return (
            [maxInFlight, highWater, limit, minRate],
            result => new FlowControl(result.GetValue(maxInFlight), result.GetValue(highWater), result.GetValue(limit), result.GetValue(minRate)));
    }

    /// <summary>Puts these settings on <paramref name="options"/>, which checks them.</summary>
    public void ApplyTo(FramewireServerOptions options)
    {
        options.MaxInFlight = MaxInFlight ?? options.MaxInFlight;
        options.SendHighWater = SendHighWater ?? options.SendHighWater;
        options.SendLimit = SendLimit ?? options.SendLimit;
        options.MinDataRate = MinDataRate ?? options.MinDataRate;
    }
}
