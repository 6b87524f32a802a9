namespace Framewire.Selectors.Internal;

/// <summary><c>struct pollfd</c>: the same 8 bytes on every Unix.</summary>
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short ReturnedEvents;
}
