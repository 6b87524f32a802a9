using Framewire.Cli.Commands;

namespace Framewire.Cli.Bench;

/// <summary>Everything <c>framewire bench</c> was asked to do; the defaults are the command line's.</summary>
internal sealed record BenchSettings(BenchMode Mode, string Host, int Port)
{
    /// <summary>The most a run may hold in preallocated requests: connections × depth × request size.</summary>
    public const long MaxRequestMemory = 1L << 30;

    public const int DefaultEchoSize = 64;

    public int Connections { get; init; } = 64;

    /// <summary>Requests in flight per connection.</summary>
    public int Depth { get; init; } = 1;

    /// <summary>How long to measure, after the warm-up; unused when <see cref="Requests"/> is set.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Load sent before measuring starts; null for the default, 2 s for a timed run and none with <see cref="Requests"/>.</summary>
    public TimeSpan? Warmup { get; init; }

    /// <summary>Send exactly this many requests in all, every one measured, instead of running for a duration.</summary>
    public long? Requests { get; init; }

    /// <summary>Requests per second in all, open loop, latencies measured from each request's intended send time.</summary>
    public double? Rate { get; init; }

    /// <summary>Echo message size in bytes; null for the default, <see cref="DefaultEchoSize"/>.</summary>
    public int? Size { get; init; }

    /// <summary>Frame mode: binary requests with this much content instead of search requests.</summary>
    public int? BinarySize { get; init; }

    /// <summary>Event-loop threads that run the connections.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// The selector engine on Linux: on this project's 2-core VM it cost the generator a quarter to a third less CPU
    /// per message than the async engine (0.42 against 0.60 µs per echo at depth 16, 5.9 against 7.8 µs at depth 1),
    /// and no more than the C load generator (see docs/bench.md). Elsewhere the async engine, as the
    /// selector engine's libc calls are Linux's.
    /// </summary>
    public static BenchEngine DefaultEngine => OperatingSystem.IsLinux() ? BenchEngine.Selector : BenchEngine.Async;

    public BenchEngine Engine { get; init; } = DefaultEngine;

    /// <summary>TLS on every connection (<c>--tls</c> and its files), on either engine.</summary>
    public ClientTls Tls { get; init; } = ClientTls.None;

    /// <summary>How long a connection may wait for an answer (or a connect) before it counts as timed out.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Print one JSON line instead of the table.</summary>
    public bool Json { get; init; }

    /// <summary>Show a live progress display while running (only sensible on a terminal).</summary>
    public bool ShowProgress { get; init; }

    public int EchoSize => Size ?? DefaultEchoSize;

    public TimeSpan EffectiveWarmup => Warmup ?? (Requests is null ? TimeSpan.FromSeconds(2) : TimeSpan.Zero);

    /// <summary>What is wrong with these settings, or null when they make a run.</summary>
    public string? Validate() => this switch
    {
        { Connections: < 1 } => "--connections must be at least 1.",
        { Depth: < 1 } => "--depth must be at least 1.",
        { Mode: BenchMode.Oneshot, Depth: > 1 } => "oneshot sends one request per connection: --depth must be 1.",
        { Mode: BenchMode.Oneshot, Rate: not null } => "--rate is for echo and frame runs.",
        { Threads: < 1 } => "--threads must be at least 1.",
        { Requests: < 1 } => "--requests must be at least 1.",
        { Requests: not null, Warmup: not null } => "--warmup is for timed runs: with --requests every request is measured.",
        { Requests: null } when Duration <= TimeSpan.Zero => "--duration must be positive.",
        { Warmup: { } warmup } when warmup < TimeSpan.Zero => "--warmup cannot be negative.",
        { Rate: <= 0 or double.NaN or double.PositiveInfinity } => "--rate must be a positive number of requests per second.",
        { Size: < 1 } => "--size must be at least 1 byte.",
        { Mode: not BenchMode.Echo, Size: not null } => "--size is for echo runs; frame runs take --binary SIZE.",
        { BinarySize: < 0 } => "--binary must be a size in bytes.",
        { Mode: not BenchMode.Frame, BinarySize: not null } => "--binary is for frame runs.",
        _ when Timeout <= TimeSpan.Zero => "--timeout must be positive.",
        { Engine: BenchEngine.Selector } when !OperatingSystem.IsLinux() => "--engine selector needs Linux; use --engine async.",
        _ => null,
    };

    /// <summary>What is wrong with running <paramref name="workload"/> with these settings, or null.</summary>
    public string? Validate(Workload workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        return (double)Connections * Depth * workload.MaxRequestLength > MaxRequestMemory
            ? $"connections × depth × request size is over {MaxRequestMemory >> 20} MiB of preallocated requests; lower one of them."
            : null;
    }
}
