using Framewire.Selectors;

namespace Framewire.Tests.Selectors;

public class DefaultSelectorTests
{
    [Fact]
    public void Create_OnThisPlatform_ReturnsItsBestSelector()
    {
        using Selector selector = DefaultSelector.Create();

        Type expected = OperatingSystem.IsLinux() ? typeof(EpollSelector)
            : OperatingSystem.IsWindows() ? typeof(SocketSelectSelector)
            : typeof(PollSelector);
        Assert.IsType(expected, selector);
    }
}
