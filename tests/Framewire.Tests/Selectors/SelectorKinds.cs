using Framewire.Selectors;

namespace Framewire.Tests.Selectors;

/// <summary>The selector implementations that run on this platform, by name, for theories.</summary>
internal static class SelectorKinds
{
    public const string Epoll = "epoll";
    public const string Poll = "poll";
    public const string SocketSelect = "socket-select";

    /// <summary>Every implementation available here.</summary>
    public static TheoryData<string> All => Available(includeSocketSelect: true);

    /// <summary>
    /// The implementations that call the kernel themselves (not the Socket.Select fallback): they take descriptors
    /// without a socket, retry interrupted waits, and do not allocate in Select.
    /// </summary>
    public static TheoryData<string> Native => Available(includeSocketSelect: false);

    public static Selector Create(string kind) => kind switch
    {
        Epoll when OperatingSystem.IsLinux() => new EpollSelector(),
        Poll when !OperatingSystem.IsWindows() => new PollSelector(),
        SocketSelect => new SocketSelectSelector(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not available on this platform."),
    };

    private static TheoryData<string> Available(bool includeSocketSelect)
    {
        var kinds = new TheoryData<string>();
        if (OperatingSystem.IsLinux())
        {
            kinds.Add(Epoll);
        }

        if (!OperatingSystem.IsWindows())
        {
            kinds.Add(Poll);
        }

        if (includeSocketSelect)
        {
            kinds.Add(SocketSelect);
        }

        return kinds;
    }
}
