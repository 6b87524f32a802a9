namespace Framewire.Tests.Support;

/// <summary>What a piece of per-message code allocates once it is warm.</summary>
internal static class Allocations
{
    /// <summary>Runs <paramref name="action"/> 100 times to warm it (JIT tiers, pools), then returns what 1,000 more runs allocated on this thread.</summary>
    public static long OfWarm(Action action)
    {
        for (int i = 0; i < 100; i++)
        {
            action();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
