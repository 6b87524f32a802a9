using System.Diagnostics;

namespace Framewire.Cli.Bench;

/// <summary>
/// The generator's own CPU time and managed allocations, sampled around the measured part, so a report says whether
/// the generator itself was the limit and shows that its loops allocate nothing per message.
/// </summary>
internal readonly record struct ClientUsage(TimeSpan CpuTime, long AllocatedBytes)
{
    public static ClientUsage Sample()
    {
        using var process = Process.GetCurrentProcess();
        // Precise: the loose count moves in steps of a thread's allocation context (8 KiB), so a few objects
        // allocated while a loop thread starts or ends read as bytes per message in a short run.
        return new ClientUsage(process.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: true));
    }

    /// <summary>Samples when the measured part starts at <paramref name="timestamp"/>, or when the run ends if that is sooner.</summary>
    public static async Task<ClientUsage> SampleAtAsync(long timestamp, Task running)
    {
        TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (wait > TimeSpan.Zero)
        {
            await Task.WhenAny(running, Task.Delay(wait)).ConfigureAwait(false);
        }

        return Sample();
    }

    public static ClientUsage operator -(ClientUsage left, ClientUsage right) =>
        new(left.CpuTime - right.CpuTime, left.AllocatedBytes - right.AllocatedBytes);
}
