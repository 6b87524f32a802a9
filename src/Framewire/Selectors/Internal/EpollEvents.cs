namespace Framewire.Selectors.Internal;

/// <summary>Between <see cref="SelectorEvents"/> and epoll's event bits, for every epoll user here.</summary>
internal static class EpollEvents
{
    public static uint From(SelectorEvents events) =>
        ((events & SelectorEvents.Read) != 0 ? LibC.EPOLLIN : 0) | ((events & SelectorEvents.Write) != 0 ? LibC.EPOLLOUT : 0);

    // As Python: an error or hang-up (EPOLLERR, EPOLLHUP) makes a socket both readable and writable, so that whichever
    // call the caller makes next returns the error or the end of the stream.
    public static SelectorEvents ToSelectorEvents(uint epoll)
    {
        SelectorEvents events = SelectorEvents.None;
        if ((epoll & ~LibC.EPOLLIN) != 0)
        {
            events |= SelectorEvents.Write;
        }

        if ((epoll & ~LibC.EPOLLOUT) != 0)
        {
            events |= SelectorEvents.Read;
        }

        return events;
    }
}
