namespace Framewire.Tests.Support;

/// <summary>Waits for what another thread or process makes true, instead of sleeping a fixed time.</summary>
internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 10 ms; fails the test if it is not true within <paramref name="within"/> (20 s by default).</summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan? within = null)
    {
        TimeSpan limit = within ?? TimeSpan.FromSeconds(20);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < limit, "the condition did not become true in time");
            await Task.Delay(10);
        }
    }
}
