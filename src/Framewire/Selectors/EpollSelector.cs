using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Framewire.Selectors.Internal;

namespace Framewire.Selectors;

/// <summary>
/// A selector on Linux's epoll(7), level-triggered like Python's <c>EpollSelector</c>: the cost of a wait grows with the
/// number of ready sockets, not the number registered.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class EpollSelector : Selector
{
    // Events that do not fit are not lost: a level-triggered descriptor that is still ready is reported again, and the
    // kernel moves what it reported to the back of its ready list, so the rest come first on the next call. 1024 is the
    // .NET runtime's own socket engine's buffer: one epoll_wait (a few microseconds on our VMs) is shared by up to 1024
    // events, which makes its cost per event small, and the buffers stay at 12-16 KiB for the kernel plus 16 KiB here.
    private const int DefaultMaxEvents = 1024;

    private readonly SafeFdHandle _epoll;

    // The kernel's struct epoll_event array, LibC.EpollEventSize bytes apiece. It lives on the pinned object heap: the
    // kernel writes to it during waits that can last long, and a pinned block in the ordinary heap would stop the GC
    // from compacting around it all that time.
    private readonly byte[] _events;
    private readonly SelectorEvent[] _ready;

    // Keys by slot: epoll_data carries the slot, so an event finds its key with one array access. Unregistering frees a
    // slot for the next registration, so the table stays as large as the most registrations at once.
    private readonly Stack<int> _freeSlots = new();
    private SelectorKey?[] _slots = new SelectorKey?[16];
    private int _slotsUsed;
    private int _readyCount;

    /// <summary>Creates an epoll instance.</summary>
    /// <param name="maxEvents">
    /// The most events one <see cref="Selector.Select"/> returns; more ready registrations are reported by the calls
    /// that follow.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxEvents"/> is not positive, or beyond the kernel's limit.</exception>
    /// <exception cref="Win32Exception">The kernel could not create the instance (the descriptor limit, for one).</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public EpollSelector(int maxEvents = DefaultMaxEvents)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("epoll is Linux-only; use DefaultSelector.Create.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEvents);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxEvents, int.MaxValue / LibC.EpollEventSize);
        _events = GC.AllocateUninitializedArray<byte>(maxEvents * LibC.EpollEventSize, pinned: true);
        _ready = new SelectorEvent[maxEvents];
        _epoll = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (_epoll.IsInvalid)
        {
            NativeError.Throw("epoll_create1", Marshal.GetLastPInvokeError());
        }
    }

    private protected override void AddCore(SelectorKey key)
    {
        bool reuse = _freeSlots.TryPeek(out int slot);
        if (!reuse)
        {
            slot = _slotsUsed;
            if (slot == _slots.Length)
            {
                Array.Resize(ref _slots, slot * 2);
            }
        }

        key.Slot = slot;
        Control(LibC.EPOLL_CTL_ADD, key, key.Events);
        _slots[slot] = key;
        if (reuse)
        {
            _freeSlots.Pop();
        }
        else
        {
            _slotsUsed++;
        }
    }

    private protected override void ModifyCore(SelectorKey key, SelectorEvents events) => Control(LibC.EPOLL_CTL_MOD, key, events);

    private protected override unsafe void RemoveCore(SelectorKey key)
    {
        if (LibC.epoll_ctl(_epoll, LibC.EPOLL_CTL_DEL, (int)key.Handle, null) != 0)
        {
            // The socket was closed before it was unregistered: closing removed it from the interest set already
            // (EBADF), or its number now belongs to a descriptor that was never added (ENOENT).
            int errno = Marshal.GetLastPInvokeError();
            if (errno is not (LibC.EBADF or LibC.ENOENT))
            {
                NativeError.Throw("epoll_ctl(EPOLL_CTL_DEL)", errno);
            }
        }

        _slots[key.Slot] = null;
        _freeSlots.Push(key.Slot);
    }

    private protected override unsafe ReadOnlySpan<SelectorEvent> SelectCore(int timeoutMs)
    {
        SelectorEvent[] readyEvents = _ready;

        // The last batch's keys are dropped before a wait that may last long, so they do not outlive their registrations.
        Array.Clear(readyEvents, 0, _readyCount);
        _readyCount = 0;

        int found = 0;
        int wait = timeoutMs;
        long start = timeoutMs > 0 ? Stopwatch.GetTimestamp() : 0;
        fixed (byte* events = _events)
        {
            int count;
            while ((count = LibC.epoll_wait(_epoll, events, readyEvents.Length, wait)) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EINTR)
                {
                    NativeError.Throw("epoll_wait", errno);
                }

                // A signal handler ran; wait for the rest of the timeout, as Python does since PEP 475.
                wait = Remaining(timeoutMs, start);
            }

            SelectorKey?[] slots = _slots;
            int size = LibC.EpollEventSize;
            int dataOffset = LibC.EpollDataOffset;
            byte* e = events;
            for (int i = 0; i < count; i++, e += size)
            {
                // As in Python, an event for a registration that is gone is dropped. It would take a socket closed
                // before it was unregistered while its file lives on elsewhere (in a child between fork and exec):
                // then the kernel still watches it.
                SelectorKey? key = slots[(int)Unsafe.ReadUnaligned<ulong>(e + dataOffset)];
                if (key is null)
                {
                    continue;
                }

                SelectorEvents ready = EpollEvents.ToSelectorEvents(Unsafe.ReadUnaligned<uint>(e)) & key.Events;
                if (ready != SelectorEvents.None)
                {
                    readyEvents[found++] = new SelectorEvent(key, ready);
                }
            }
        }

        _readyCount = found;
        return new ReadOnlySpan<SelectorEvent>(readyEvents, 0, found);
    }

    private protected override void DisposeCore()
    {
        _epoll.Dispose();
        Array.Clear(_slots);
        Array.Clear(_ready);
    }

    private unsafe void Control(int op, SelectorKey key, SelectorEvents events)
    {
        Span<byte> e = stackalloc byte[16]; // room for either layout
        MemoryMarshal.Write(e, EpollEvents.From(events));
        MemoryMarshal.Write(e[LibC.EpollDataOffset..], (ulong)key.Slot);
        fixed (byte* p = e)
        {
            if (LibC.epoll_ctl(_epoll, op, (int)key.Handle, p) != 0)
            {
                NativeError.Throw(op == LibC.EPOLL_CTL_ADD ? "epoll_ctl(EPOLL_CTL_ADD)" : "epoll_ctl(EPOLL_CTL_MOD)", Marshal.GetLastPInvokeError());
            }
        }
    }
}
