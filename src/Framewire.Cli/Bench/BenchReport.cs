using System.Diagnostics;
using System.Text.Json.Serialization;
using HdrHistogram;

namespace Framewire.Cli.Bench;

/// <summary>
/// A run's figures, as the table shows them and as <c>--json</c> writes them (snake_case, one line). Rates count the
/// measured part only: the answers that completed after the warm-up, over the time from the warm-up's end until the
/// last answer in flight was in. Bytes are the requests' and the answers' bytes of those messages, both directions.
/// </summary>
internal sealed record BenchReport
{
    private const double BytesPerMiB = 1024 * 1024;

    [JsonPropertyName("mode")]
    public required string Mode { get; init; }

    [JsonPropertyName("workload")]
    public required string Workload { get; init; }

    [JsonPropertyName("target")]
    public required string Target { get; init; }

    [JsonPropertyName("engine")]
    public required string Engine { get; init; }

    /// <summary>
    /// Whether the connections spoke TLS. The handshakes are made while connecting, before the clock starts, except in
    /// oneshot runs, where each request opens its connection and so includes a handshake.
    /// </summary>
    [JsonPropertyName("tls")]
    public required bool Tls { get; init; }

    [JsonPropertyName("connections")]
    public required int Connections { get; init; }

    [JsonPropertyName("depth")]
    public required int Depth { get; init; }

    [JsonPropertyName("threads")]
    public required int Threads { get; init; }

    /// <summary>The asked-for total rate at <c>--rate</c>; null for a closed-loop run.</summary>
    [JsonPropertyName("rate")]
    public double? Rate { get; init; }

    /// <summary>The asked-for request count at <c>--requests</c>; null for a timed run.</summary>
    [JsonPropertyName("requests")]
    public long? Requests { get; init; }

    [JsonPropertyName("warmup_seconds")]
    public required double WarmupSeconds { get; init; }

    [JsonPropertyName("seconds")]
    public required double Seconds { get; init; }

    /// <summary>Correct answers measured.</summary>
    [JsonPropertyName("messages")]
    public required long Messages { get; init; }

    /// <summary>Correct answers during the warm-up, not measured (but the server saw them).</summary>
    [JsonPropertyName("warmup_messages")]
    public required long WarmupMessages { get; init; }

    /// <summary>Requests that got no correct answer, warm-up included (a failed connect counts as one).</summary>
    [JsonPropertyName("errors")]
    public required long Errors { get; init; }

    [JsonPropertyName("errors_mismatch")]
    public required long ErrorsMismatch { get; init; }

    [JsonPropertyName("errors_closed")]
    public required long ErrorsClosed { get; init; }

    [JsonPropertyName("errors_reset")]
    public required long ErrorsReset { get; init; }

    [JsonPropertyName("errors_timeout")]
    public required long ErrorsTimeout { get; init; }

    [JsonPropertyName("errors_connect")]
    public required long ErrorsConnect { get; init; }

    [JsonPropertyName("bytes")]
    public required long Bytes { get; init; }

    [JsonPropertyName("msgs_per_s")]
    public required double MessagesPerSecond { get; init; }

    [JsonPropertyName("mib_per_s")]
    public required double MiBPerSecond { get; init; }

    [JsonPropertyName("mean_us")]
    public required double MeanMicroseconds { get; init; }

    [JsonPropertyName("p50_us")]
    public required double P50Microseconds { get; init; }

    [JsonPropertyName("p90_us")]
    public required double P90Microseconds { get; init; }

    [JsonPropertyName("p99_us")]
    public required double P99Microseconds { get; init; }

    [JsonPropertyName("p999_us")]
    public required double P999Microseconds { get; init; }

    [JsonPropertyName("max_us")]
    public required double MaxMicroseconds { get; init; }

    /// <summary>
    /// The generator's own CPU time over the measured part, as a percentage of one core: near 100 % per thread, the
    /// generator rather than the server may be what limits the figures.
    /// </summary>
    [JsonPropertyName("client_cpu_percent")]
    public required double ClientCpuPercent { get; init; }

    /// <summary>The generator's CPU time per measured message, in µs.</summary>
    [JsonPropertyName("client_cpu_us_per_msg")]
    public required double ClientCpuMicrosecondsPerMessage { get; init; }

    /// <summary>
    /// Managed bytes the generator's process allocated per measured message; about 0 for kept-open connections (a
    /// new connection per request allocates its socket).
    /// </summary>
    [JsonPropertyName("client_alloc_bytes_per_msg")]
    public required double ClientAllocatedBytesPerMessage { get; init; }

    /// <summary>What went wrong first, when anything did.</summary>
    [JsonPropertyName("first_error")]
    public string? FirstError { get; init; }

    /// <summary>True when the run was stopped (Ctrl-C) before it was done.</summary>
    [JsonPropertyName("interrupted")]
    public bool Interrupted { get; init; }

    public static BenchReport Create(BenchSettings settings, Workload workload, string target, RunControl run, IReadOnlyList<BenchConnection> connections, long end, ClientUsage usage)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(connections);
        long messages = 0;
        long warmup = 0;
        long bytes = 0;
        long[] errors = new long[Enum.GetValues<ErrorKind>().Length];
        foreach (BenchConnection connection in connections)
        {
            messages += connection.Messages;
            warmup += connection.WarmupMessages;
            bytes += connection.Bytes;
            foreach (ErrorKind kind in Enum.GetValues<ErrorKind>())
            {
                errors[(int)kind] += connection.Errors(kind);
            }
        }

        double seconds = Math.Max(0, (double)(end - run.MeasureFrom) / Stopwatch.Frequency);
        HistogramBase latencies = run.Latencies.Snapshot();
        return new BenchReport
        {
            Mode = settings.Mode.ToString().ToLowerInvariant(),
            Workload = workload.Name,
            Target = target,
            Engine = settings.Engine.ToString().ToLowerInvariant(),
            Tls = settings.Tls.Enabled,
            Connections = settings.Connections,
            Depth = settings.Depth,
            Threads = settings.Threads,
            Rate = settings.Rate,
            Requests = settings.Requests,
            WarmupSeconds = settings.EffectiveWarmup.TotalSeconds,
            Seconds = Math.Round(seconds, 3),
            Messages = messages,
            WarmupMessages = warmup,
            Errors = errors.Sum(),
            ErrorsMismatch = errors[(int)ErrorKind.Mismatch],
            ErrorsClosed = errors[(int)ErrorKind.Closed],
            ErrorsReset = errors[(int)ErrorKind.Reset],
            ErrorsTimeout = errors[(int)ErrorKind.Timeout],
            ErrorsConnect = errors[(int)ErrorKind.Connect],
            Bytes = bytes,
            MessagesPerSecond = seconds > 0 ? Math.Round(messages / seconds, 1) : 0,
            MiBPerSecond = seconds > 0 ? Math.Round(bytes / BytesPerMiB / seconds, 3) : 0,
            MeanMicroseconds = Microseconds(latencies.TotalCount > 0 ? latencies.GetMean() : 0),
            P50Microseconds = Percentile(latencies, 50),
            P90Microseconds = Percentile(latencies, 90),
            P99Microseconds = Percentile(latencies, 99),
            P999Microseconds = Percentile(latencies, 99.9),
            MaxMicroseconds = Microseconds(latencies.TotalCount > 0 ? latencies.GetMaxValue() : 0),
            ClientCpuPercent = seconds > 0 ? Math.Round(usage.CpuTime.TotalSeconds * 100 / seconds, 1) : 0,
            ClientCpuMicrosecondsPerMessage = messages > 0 ? Math.Round(usage.CpuTime.TotalMicroseconds / messages, 3) : 0,
            ClientAllocatedBytesPerMessage = messages > 0 ? Math.Round((double)usage.AllocatedBytes / messages, 3) : 0,
            FirstError = run.Latencies.FirstFailure,
            Interrupted = run.IsStopped,
        };
    }

    private static double Percentile(HistogramBase latencies, double percentile) =>
        Microseconds(latencies.TotalCount > 0 ? latencies.GetValueAtPercentile(percentile) : 0);

    private static double Microseconds(double ticks) => Math.Round(ticks * 1_000_000 / Stopwatch.Frequency, 1);
}
