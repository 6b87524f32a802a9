using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Framewire.Selectors;
using Framewire.Selectors.Internal;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// An event loop's epoll set, with what it watches in a table indexed by descriptor: descriptors are small and dense,
/// so one slot of 8 bytes per connection replaces a selector's key object and dictionary entry (about 100 bytes each,
/// most of what an idle connection held beyond its own state), and an event finds its item with one array access.
/// The table also holds items that watch nothing for a while (pending work), so it is the loop's list of what it
/// owns. Loop thread only, except <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class LoopPoller : IDisposable
{
    // As the selectors' EpollSelector (and the runtime's own socket engine): one wait shares its cost among up to
    // 1024 events; more ready descriptors are reported by the next wait, level-triggered.
    private const int MaxEvents = 1024;

    private readonly SafeFdHandle _epoll;

    // The kernel writes events here during waits that may last long: pinned, on the pinned object heap.
    private readonly byte[] _events = GC.AllocateUninitializedArray<byte>(MaxEvents * LibC.EpollEventSize, pinned: true);
    private ILoopItem?[] _items = new ILoopItem?[64];
    private int _count;

    public LoopPoller()
    {
        _epoll = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (_epoll.IsInvalid)
        {
            NativeError.Throw("epoll_create1", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>The table, for walking what the loop owns: a slot past <see cref="Limit"/> is empty.</summary>
    public ReadOnlySpan<ILoopItem?> Items => _items.AsSpan(0, Limit);

    /// <summary>One past the highest descriptor the table has held.</summary>
    public int Limit { get; private set; }

    /// <summary>The descriptors the table holds.</summary>
    public int Count => _count;

    /// <summary>Takes <paramref name="fd"/> into the table, watching nothing yet.</summary>
    public void Own(int fd, ILoopItem item)
    {
        if (fd >= _items.Length)
        {
            Array.Resize(ref _items, Math.Max(fd + 1, _items.Length * 2));
        }

        _items[fd] = item;
        _count++;
        Limit = Math.Max(Limit, fd + 1);
    }

    /// <summary>Lets <paramref name="fd"/> go, before the descriptor is closed: its number may be reused at once.</summary>
    public void Release(int fd)
    {
        _items[fd] = null;
        _count--;
    }

    /// <summary>
    /// Changes what is watched on <paramref name="fd"/> from <paramref name="current"/> to <paramref name="wanted"/>;
    /// <see cref="SelectorEvents.None"/> takes it out of the epoll set.
    /// </summary>
    public void Watch(int fd, SelectorEvents current, SelectorEvents wanted)
    {
        if (wanted == SelectorEvents.None)
        {
            // Gone already when the descriptor was closed first (EBADF), or never added (ENOENT): nothing to undo.
            if (LibC.epoll_ctl(_epoll, LibC.EPOLL_CTL_DEL, fd, null) != 0 && Marshal.GetLastPInvokeError() is not (LibC.EBADF or LibC.ENOENT))
            {
                NativeError.Throw("epoll_ctl(EPOLL_CTL_DEL)", Marshal.GetLastPInvokeError());
            }

            return;
        }

        int op = current == SelectorEvents.None ? LibC.EPOLL_CTL_ADD : LibC.EPOLL_CTL_MOD;
        byte* e = stackalloc byte[16];
        Unsafe.WriteUnaligned(e, EpollEvents.From(wanted));
        // The data carries the interest beside the descriptor, so an error or hang-up is reported only as what was asked.
        Unsafe.WriteUnaligned(e + LibC.EpollDataOffset, (uint)fd | ((ulong)wanted << 32));
        if (LibC.epoll_ctl(_epoll, op, fd, e) != 0)
        {
            NativeError.Throw(op == LibC.EPOLL_CTL_ADD ? "epoll_ctl(EPOLL_CTL_ADD)" : "epoll_ctl(EPOLL_CTL_MOD)", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: no limit) and tells every ready item, in the kernel's order. An
    /// event for a descriptor let go earlier in the same batch is dropped; one for a descriptor number that an accept in
    /// the batch reused reaches the new owner as a readiness that may be spurious, which non-blocking calls shrug off.
    /// </summary>
    public void WaitAndDispatch(int timeoutMs)
    {
        fixed (byte* events = _events)
        {
            int count = LibC.epoll_wait(_epoll, events, MaxEvents, timeoutMs);
            if (count < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EINTR)
                {
                    NativeError.Throw("epoll_wait", errno);
                }

                // A signal: the loop comes round again, with its timers looked at first.
                return;
            }

            int size = LibC.EpollEventSize;
            int dataOffset = LibC.EpollDataOffset;
            byte* e = events;
            for (int i = 0; i < count; i++, e += size)
            {
                ulong data = Unsafe.ReadUnaligned<ulong>(e + dataOffset);
                int fd = (int)(uint)data;
                ILoopItem? item = (uint)fd < (uint)_items.Length ? _items[fd] : null;
                SelectorEvents ready = EpollEvents.ToSelectorEvents(Unsafe.ReadUnaligned<uint>(e)) & (SelectorEvents)(data >> 32);
                if (item is not null && ready != SelectorEvents.None)
                {
                    item.OnReady(ready);
                }
            }
        }
    }

    public void Dispose()
    {
        _epoll.Dispose();
        Array.Clear(_items);
    }
}
