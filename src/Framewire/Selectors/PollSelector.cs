using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Framewire.Selectors.Internal;

namespace Framewire.Selectors;

/// <summary>
/// A selector on poll(2), for Unix systems without epoll, like Python's <c>PollSelector</c>. Each wait costs time in
/// proportion to the number of registrations, so it suits hundreds of sockets rather than tens of thousands.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class PollSelector : Selector
{
    private const int InitialCapacity = 16;

    // The pollfd array is kept up to date by each registration change instead of being rebuilt for every wait. It lives on
    // the pinned object heap because the kernel reads and writes it during waits that can last long.
    private PollFd[] _fds = GC.AllocateArray<PollFd>(InitialCapacity, pinned: true);

    // _keys[i] owns _fds[i], and a key's slot is its index. Ready events can number as many as the registrations, so
    // the buffer grows with them.
    private SelectorKey?[] _keys = new SelectorKey?[InitialCapacity];
    private SelectorEvent[] _ready = new SelectorEvent[InitialCapacity];
    private int _count;
    private int _readyCount;

    /// <summary>Creates a poll selector.</summary>
    /// <exception cref="PlatformNotSupportedException">On Windows.</exception>
    public PollSelector()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("poll is not available on Windows; use DefaultSelector.Create.");
        }
    }

    private protected override void AddCore(SelectorKey key)
    {
        if (_count == _fds.Length)
        {
            Grow();
        }

        key.Slot = _count;
        _fds[_count] = new PollFd { Fd = (int)key.Handle, Events = ToPoll(key.Events) };
        _keys[_count] = key;
        _count++;
    }

    private protected override void ModifyCore(SelectorKey key, SelectorEvents events) => _fds[key.Slot].Events = ToPoll(events);

    private protected override void RemoveCore(SelectorKey key)
    {
        // The last entry fills the hole, so the array stays dense and removal costs O(1).
        int slot = key.Slot;
        int last = --_count;
        if (slot != last)
        {
            SelectorKey moved = _keys[last]!;
            _fds[slot] = _fds[last];
            _keys[slot] = moved;
            moved.Slot = slot;
        }

        _keys[last] = null;
    }

    private protected override unsafe ReadOnlySpan<SelectorEvent> SelectCore(int timeoutMs)
    {
        SelectorEvent[] readyEvents = _ready;

        // The last batch's keys are dropped before a wait that may last long, so they do not outlive their registrations.
        Array.Clear(readyEvents, 0, _readyCount);
        _readyCount = 0;

        int count;
        int wait = timeoutMs;
        long start = timeoutMs > 0 ? Stopwatch.GetTimestamp() : 0;
        fixed (PollFd* fds = _fds)
        {
            while ((count = LibC.poll(fds, (nuint)_count, wait)) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EINTR)
                {
                    NativeError.Throw("poll", errno);
                }

                // A signal handler ran; wait for the rest of the timeout, as Python does since PEP 475.
                wait = Remaining(timeoutMs, start);
            }
        }

        // poll returns how many entries have events, so the scan stops at the last of them.
        PollFd[] entries = _fds;
        SelectorKey?[] keys = _keys;
        int found = 0;
        for (int i = 0; count > 0; i++)
        {
            short returned = entries[i].ReturnedEvents;
            if (returned == 0)
            {
                continue;
            }

            count--;
            SelectorKey key = keys[i]!;
            SelectorEvents ready = ToSelectorEvents(returned) & key.Events;
            if (ready != SelectorEvents.None)
            {
                readyEvents[found++] = new SelectorEvent(key, ready);
            }
        }

        _readyCount = found;
        return new ReadOnlySpan<SelectorEvent>(readyEvents, 0, found);
    }

    private protected override void DisposeCore()
    {
        Array.Clear(_keys);
        Array.Clear(_ready);
        _count = 0;
    }

    // As Python: an error, hang-up or invalid descriptor (POLLERR, POLLHUP, POLLNVAL) makes an entry both readable and
    // writable, so that whichever call the caller makes next returns the error or the end of the stream.
    private static SelectorEvents ToSelectorEvents(short poll)
    {
        SelectorEvents events = SelectorEvents.None;
        if ((poll & ~LibC.POLLIN) != 0)
        {
            events |= SelectorEvents.Write;
        }

        if ((poll & ~LibC.POLLOUT) != 0)
        {
            events |= SelectorEvents.Read;
        }

        return events;
    }

    private static short ToPoll(SelectorEvents events) =>
        (short)(((events & SelectorEvents.Read) != 0 ? LibC.POLLIN : 0) | ((events & SelectorEvents.Write) != 0 ? LibC.POLLOUT : 0));

    private void Grow()
    {
        int capacity = _fds.Length * 2;
        PollFd[] fds = GC.AllocateArray<PollFd>(capacity, pinned: true);
        Array.Copy(_fds, fds, _count);
        _fds = fds;
        Array.Resize(ref _keys, capacity);
        _ready = new SelectorEvent[capacity];
    }
}
