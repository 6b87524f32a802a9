using System.Runtime.Versioning;
using Framewire.Selectors;
using Framewire.Selectors.Internal;

namespace Framewire.Tests.Selectors;

/// <summary>Descriptors registered without a socket, such as the eventfd an event loop wakes itself with.</summary>
[SupportedOSPlatform("linux")]
public class SelectorHandleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Native => SelectorKinds.Native;

    [LinuxTheory]
    [MemberData(nameof(Native))]
    public async Task Select_EventfdWrittenFromAnotherThread_WakesABlockedWait(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using SafeFdHandle eventfd = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        object wakeUp = new();
        SelectorKey key = selector.Register(eventfd.DangerousGetHandle(), SelectorEvents.Read, wakeUp);
        Assert.Null(key.Socket);
        Assert.Equal(0, selector.Count);

        Task<SelectorEvent[]> waiting = Task.Run(() => selector.Select().ToArray());
        await Task.Delay(50);
        LibCTests.WriteCounter(eventfd.Fd, 1);

        SelectorEvent woken = Assert.Single(await waiting.WaitAsync(Patience));
        Assert.Same(key, woken.Key);
        Assert.Same(wakeUp, woken.Key.Data);
        Assert.Equal(eventfd.DangerousGetHandle(), woken.Key.Handle);
        Assert.Equal(SelectorEvents.Read, woken.Events);
    }

    [LinuxTheory]
    [MemberData(nameof(Native))]
    public void RegisterHandle_ModifyAndUnregister_FollowTheRegistration(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using SafeFdHandle eventfd = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        nint handle = eventfd.DangerousGetHandle();
        selector.Register(handle, SelectorEvents.Read);

        Assert.Throws<ArgumentException>(() => selector.Register(handle, SelectorEvents.Write));

        // An eventfd is writable while its counter has room, and readable only once written.
        selector.Modify(handle, SelectorEvents.Write);
        Assert.Equal(SelectorEvents.Write, Assert.Single(selector.Select(TimeSpan.Zero).ToArray()).Events);

        selector.Unregister(handle);
        Assert.Equal(0, selector.Select(TimeSpan.Zero).Length);
        Assert.Throws<KeyNotFoundException>(() => selector.Unregister(handle));
        Assert.Throws<KeyNotFoundException>(() => selector.Modify(handle, SelectorEvents.Read));
    }

    [Fact]
    public void RegisterHandle_OnSocketSelect_NotSupported()
    {
        using var selector = new SocketSelectSelector();

        Assert.Throws<NotSupportedException>(() => selector.Register(0, SelectorEvents.Read));
        Assert.Equal(0, selector.Count);
    }
}
