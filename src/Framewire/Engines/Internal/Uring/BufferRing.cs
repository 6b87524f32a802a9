using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Framewire.Engines.Internal.Uring;

/// <summary>
/// A provided-buffer ring (IORING_REGISTER_PBUF_RING): receive buffers the kernel picks from as data arrives, so a
/// connection waiting for input holds none. The buffers are one array on the pinned object heap; each completion
/// names the buffer it filled, and the loop hands it back (<see cref="Recycle"/>) once the bytes are processed or
/// copied. The array is managed memory, so the loop must not let it go while a receive could still write into it:
/// the loop ends only once every request it submitted has completed.
/// </summary>
internal sealed unsafe class BufferRing : IDisposable
{
    /// <summary>The group id receives name in their submission.</summary>
    public const ushort GroupId = 0;

    // Each buffer holds one receive, as the selector engine's 16 KiB read: a burst of pipelined small frames many times
    // over, and a 16 KiB message in one piece. 512 of them (8 MiB a loop) cover a completion batch from hundreds of
    // busy connections at once; a receive that finds none left ends and is submitted again a moment later.
    public const int BufferSize = 16 * 1024;
    public const int BufferCount = 512;

    // Only this many are offered to the kernel at a time; the rest wait on a stack, and the ring is topped up from it
    // most recently freed first. The kernel takes buffers in ring order, so offering all 512 would cycle every
    // receive through 8 MiB of cold memory; this way a steady load keeps landing in the same, cached, few.
    private const int RingLevel = 128;

    private readonly byte[] _slab;
    private readonly byte* _slabAddress;
    private readonly byte* _ring;
    private readonly nuint _ringSize;
    private readonly ushort* _tail;
    private ushort _localTail;

    // Buffers free but not in the ring, the most recently freed on top; and how many the ring holds, counted down as
    // completions say the kernel took one.
    private readonly ushort[] _free = new ushort[BufferCount];
    private int _freeCount;
    private int _inRing;

    private BufferRing(byte[] slab, byte* ring, nuint ringSize)
    {
        _slab = slab;
        _slabAddress = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(slab));
        _ring = ring;
        _ringSize = ringSize;

        // The ring's tail shares the first entry's last two bytes (struct io_uring_buf_ring).
        _tail = (ushort*)(ring + 14);
        for (int id = BufferCount - 1; id >= 0; id--)
        {
            _free[_freeCount++] = (ushort)id;
        }

        Fill();
    }

    /// <summary>The buffers' memory: buffer <c>id</c> starts at <c>id * BufferSize</c>.</summary>
    public byte[] Slab => _slab;

    /// <summary>Registers a ring of <see cref="BufferCount"/> buffers with <paramref name="ringFd"/>.</summary>
    /// <exception cref="UringUnavailableException">The kernel refused it (before Linux 5.19).</exception>
    public static BufferRing Register(int ringFd)
    {
        byte* ring = MapAndRegister(ringFd);
        byte[] slab = GC.AllocateUninitializedArray<byte>(BufferCount * BufferSize, pinned: true);
        return new BufferRing(slab, ring, RingSize);
    }

    /// <summary>Whether <paramref name="ringFd"/> takes a buffer ring, without the buffers.</summary>
    /// <exception cref="UringUnavailableException">The kernel refused it.</exception>
    public static void Probe(int ringFd) => UringCalls.Unmap(MapAndRegister(ringFd), RingSize);

    /// <summary>Gives buffer <paramref name="id"/> back, to the kernel at once if the ring is short of buffers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Recycle(ushort id)
    {
        _free[_freeCount++] = id;
        if (_inRing < RingLevel)
        {
            Fill();
        }
    }

    /// <summary>A completion says the kernel took a buffer from the ring: another takes its place.</summary>
    public void Taken()
    {
        _inRing--;
        Fill();
    }

    /// <summary>The ring's memory is unmapped with its io_uring; the slab goes with the loop.</summary>
    public void Dispose() => UringCalls.Unmap(_ring, _ringSize);

    private static nuint RingSize => BufferCount * 16;

    private static byte* MapAndRegister(int ringFd)
    {
        byte* ring = UringCalls.MapAnonymous(RingSize);
        if (ring is null)
        {
            throw new UringUnavailableException($"mapping the buffer ring failed with errno {UringCalls.LastError}");
        }

        BufferRingRegistration registration = default;
        registration.RingAddress = (ulong)ring;
        registration.RingEntries = BufferCount;
        registration.GroupId = GroupId;
        if (UringCalls.Register(ringFd, UringAbi.RegisterPbufRing, &registration, 1) < 0)
        {
            int errno = UringCalls.LastError;
            UringCalls.Unmap(ring, RingSize);
            throw new UringUnavailableException($"IORING_REGISTER_PBUF_RING failed with errno {errno}");
        }

        return ring;
    }

    private void Put(ushort id)
    {
        // struct io_uring_buf { __u64 addr; __u32 len; __u16 bid; __u16 resv; }
        byte* entry = _ring + ((_localTail & (BufferCount - 1)) * 16);
        *(ulong*)entry = (ulong)(_slabAddress + (id * BufferSize));
        *(uint*)(entry + 8) = BufferSize;
        *(ushort*)(entry + 12) = id;
        _localTail++;
    }

    private void Fill()
    {
        while (_inRing < RingLevel && _freeCount > 0)
        {
            Put(_free[--_freeCount]);
            _inRing++;
        }

        Volatile.Write(ref *_tail, _localTail);
    }
}
