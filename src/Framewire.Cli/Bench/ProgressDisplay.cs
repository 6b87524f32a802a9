using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Framewire.Cli.Bench;

/// <summary>A live line on the terminal while a run goes: its phase, elapsed time, messages per second and errors.</summary>
internal static class ProgressDisplay
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    /// <summary>Shows progress until <paramref name="running"/> completes; the display is cleared at the end.</summary>
    public static async Task ShowAsync(TextWriter stdout, RunControl run, IReadOnlyList<BenchConnection> connections, Task running)
    {
        IAnsiConsole console = BenchConsole.Create(stdout, interactive: true);
        await console.Live(new Markup("starting")).AutoClear(true).StartAsync(async context =>
        {
            long lastCount = 0;
            long lastTime = Stopwatch.GetTimestamp();
            while (!running.IsCompleted)
            {
                await Task.WhenAny(running, Task.Delay(Interval)).ConfigureAwait(false);
                long now = Stopwatch.GetTimestamp();
                long count = 0;
                long errors = 0;
                foreach (BenchConnection connection in connections)
                {
                    count += connection.Messages + connection.WarmupMessages;
                    errors += connection.ErrorCount;
                }

                double rate = (count - lastCount) * (double)Stopwatch.Frequency / Math.Max(1, now - lastTime);
                (lastCount, lastTime) = (count, now);
                string phase = now < run.MeasureFrom ? "warm-up" : run.CanSend(now) ? "measuring" : "finishing";
                double elapsed = (double)(now - run.Start) / Stopwatch.Frequency;
                context.UpdateTarget(new Markup(Markup.Escape(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{phase,-9}  {elapsed,7:0.0} s  {rate,12:#,0} msgs/s  {count,14:#,0} msgs  errors {errors:#,0}"))));
                context.Refresh();
            }
        }).ConfigureAwait(false);
    }
}
