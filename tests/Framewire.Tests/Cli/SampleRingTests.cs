using Framewire.Cli.Admin;

namespace Framewire.Tests.Cli;

/// <summary>The dashboard's history: fixed in size, oldest first, the oldest dropped.</summary>
public sealed class SampleRingTests
{
    [Fact]
    public void ToArray_BeforeFull_IsEverySampleInOrder()
    {
        var ring = new SampleRing(4);
        ring.Add(Sample(1));
        ring.Add(Sample(2));

        Assert.Equal([1L, 2L], ring.ToArray().Select(s => s.Time));
    }

    [Fact]
    public void Add_PastCapacity_DropsTheOldestAndKeepsTheCount()
    {
        var ring = new SampleRing(3);
        for (int t = 1; t <= 7; t++)
        {
            ring.Add(Sample(t));
        }

        Assert.Equal(3, ring.Count);
        Assert.Equal([5L, 6L, 7L], ring.ToArray().Select(s => s.Time));
    }

    private static DashboardSample Sample(long time) => new(time, 0, 0, 0, 0, 0, new Dictionary<string, long>(), 0, null, null);
}
