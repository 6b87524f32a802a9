namespace Framewire.Selectors;

/// <summary>Creates the most efficient selector for the platform, like Python's <c>selectors.DefaultSelector</c>.</summary>
public static class DefaultSelector
{
    /// <summary>
    /// Creates an <see cref="EpollSelector"/> on Linux, a <see cref="SocketSelectSelector"/> on Windows, and a
    /// <see cref="PollSelector"/> on other Unix systems.
    /// </summary>
    public static Selector Create()
    {
        if (OperatingSystem.IsLinux())
        {
            return new EpollSelector();
        }

        if (OperatingSystem.IsWindows())
        {
            return new SocketSelectSelector();
        }

        return new PollSelector();
    }
}
