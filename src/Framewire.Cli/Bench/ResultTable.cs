using System.Globalization;
using Spectre.Console;

namespace Framewire.Cli.Bench;

/// <summary>Writes a run's report as people read it: what ran, a throughput table, a latency table, and what went wrong.</summary>
internal static class ResultTable
{
    public static void Write(TextWriter stdout, BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(stdout);

        // Plain lines around the tables: a console that is not a terminal is 80 columns to Spectre, and these would wrap.
        stdout.WriteLine(Describe(report));
        IAnsiConsole console = BenchConsole.Create(stdout, interactive: false);

        var throughput = new Table().Border(TableBorder.Rounded);
        foreach (string column in new[] { "messages", "errors", "seconds", "msgs/s", "MiB/s" })
        {
            throughput.AddColumn(new TableColumn(column).RightAligned());
        }

        throughput.AddRow(Count(report.Messages), Count(report.Errors), Number(report.Seconds, "0.00"), Count((long)report.MessagesPerSecond), Number(report.MiBPerSecond, "0.0"));
        console.Write(throughput);

        var latency = new Table().Border(TableBorder.Rounded);
        latency.AddColumn(new TableColumn("latency µs"));
        foreach (string column in new[] { "p50", "p90", "p99", "p99.9", "max" })
        {
            latency.AddColumn(new TableColumn(column).RightAligned());
        }

        latency.AddRow(
            report.Rate is null ? "from send" : "from intended send",
            Number(report.P50Microseconds, "0.0"),
            Number(report.P90Microseconds, "0.0"),
            Number(report.P99Microseconds, "0.0"),
            Number(report.P999Microseconds, "0.0"),
            Number(report.MaxMicroseconds, "0.0"));
        console.Write(latency);

        stdout.WriteLine($"MiB/s counts request and answer bytes together; {Count(report.WarmupMessages)} warm-up message(s) were not measured.");
        // At 90 % of a core per generator thread or more, the generator rather than the server may set the pace.
        bool generatorBound = report.ClientCpuPercent >= 90.0 * report.Threads;
        stdout.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"generator CPU: {report.ClientCpuPercent:0}% of a core, {report.ClientCpuMicrosecondsPerMessage:0.00} µs per message{(generatorBound ? " (the generator may be the limit)" : "")}"));
        if (report.Errors > 0)
        {
            stdout.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"errors: {report.ErrorsMismatch} mismatch, {report.ErrorsClosed} closed, {report.ErrorsReset} reset, {report.ErrorsTimeout} timeout, {report.ErrorsConnect} connect"));
        }

        if (report.FirstError is not null)
        {
            stdout.WriteLine("first error: " + report.FirstError);
        }

        if (report.Interrupted)
        {
            stdout.WriteLine("interrupted: the figures cover the run until it was stopped.");
        }
    }

    private static string Describe(BenchReport report)
    {
        string load = report.Rate is double rate
            ? string.Create(CultureInfo.InvariantCulture, $"{rate:#,0} req/s open loop")
            : "closed loop";
        string length = report.Requests is long requests
            ? string.Create(CultureInfo.InvariantCulture, $"{requests:#,0} requests")
            : string.Create(CultureInfo.InvariantCulture, $"{report.WarmupSeconds:0.###} s warm-up");
        string tls = (report.Tls, report.Mode) switch
        {
            (false, _) => string.Empty,
            (true, "oneshot") => ", TLS (a handshake in every request)",
            (true, _) => ", TLS (handshakes before the clock starts)",
        };
        return string.Create(
            CultureInfo.InvariantCulture,
            $"bench {report.Mode} → {report.Target}: {report.Workload}, {report.Connections} connection(s) × depth {report.Depth}, {load}, {length}, {report.Threads} thread(s), {report.Engine} engine{tls}");
    }

    private static string Count(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
