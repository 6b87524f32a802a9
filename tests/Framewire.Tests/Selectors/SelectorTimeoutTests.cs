using Framewire.Selectors;

namespace Framewire.Tests.Selectors;

public class SelectorTimeoutTests
{
    [Fact]
    public void ToMilliseconds_Null_IsInfinite() => Assert.Equal(-1, Selector.ToMilliseconds(null));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(-1, 0)]
    [InlineData(-10_000, 0)]
    [InlineData(1, 1)]
    [InlineData(1_000, 1)]
    [InlineData(9_999, 1)]
    [InlineData(10_000, 1)]
    [InlineData(10_001, 2)]
    [InlineData(15_000, 2)]
    [InlineData(2_500_000, 250)]
    public void ToMilliseconds_Ticks_RoundedUpAndNeverNegative(long ticks, int expected) =>
        Assert.Equal(expected, Selector.ToMilliseconds(TimeSpan.FromTicks(ticks)));

    [Fact]
    public void ToMilliseconds_BeyondIntRange_Clamped()
    {
        Assert.Equal(int.MaxValue, Selector.ToMilliseconds(TimeSpan.FromDays(30)));
        Assert.Equal(int.MaxValue, Selector.ToMilliseconds(TimeSpan.MaxValue));
    }

    [Fact]
    public void ToMilliseconds_InfiniteTimeSpan_PollsLikeAnyNegativeTimeout() =>
        Assert.Equal(0, Selector.ToMilliseconds(Timeout.InfiniteTimeSpan));
}
