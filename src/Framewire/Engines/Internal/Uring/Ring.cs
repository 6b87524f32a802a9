using System.Runtime.CompilerServices;

namespace Framewire.Engines.Internal.Uring;

/// <summary>
/// One io_uring instance: the submission queue, its entries and the completion queue, mapped from the ring's
/// descriptor. Submissions are written in place and handed to the kernel in one <c>io_uring_enter</c> per loop turn,
/// which also waits for completions: that batching is what the engine gains over one system call per read and send.
/// Single-threaded: only the loop thread that enabled the ring touches it.
/// </summary>
internal sealed unsafe class Ring : IDisposable
{
    private readonly int _fd;
    private readonly byte* _sqRing;
    private readonly nuint _sqRingSize;
    private readonly byte* _cqRing;
    private readonly nuint _cqRingSize;
    private readonly Sqe* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly Cqe* _cqes;
    private uint _tail;
    private uint _submittedTail;
    private bool _disposed;

    private Ring(int fd, in UringParams p)
    {
        _fd = fd;
        _sqRingSize = p.SqOffsets.Array + (p.SqEntries * sizeof(uint));
        _cqRingSize = p.CqOffsets.Dropped + (p.CqEntries * (uint)sizeof(Cqe));
        bool single = (p.Features & UringAbi.FeatSingleMmap) != 0;
        if (single)
        {
            _sqRingSize = _cqRingSize = Math.Max(_sqRingSize, _cqRingSize);
        }

        _sqRing = UringCalls.MapRing(fd, _sqRingSize, UringAbi.OffSqRing);
        _cqRing = single ? _sqRing : UringCalls.MapRing(fd, _cqRingSize, UringAbi.OffCqRing);
        _sqesSize = p.SqEntries * (nuint)sizeof(Sqe);
        _sqes = (Sqe*)UringCalls.MapRing(fd, _sqesSize, UringAbi.OffSqes);
        if (_sqRing is null || _cqRing is null || _sqes is null)
        {
            int errno = UringCalls.LastError;
            Dispose();
            throw new UringUnavailableException($"mapping the rings failed with errno {errno}");
        }

        _sqHead = (uint*)(_sqRing + p.SqOffsets.Head);
        _sqTail = (uint*)(_sqRing + p.SqOffsets.Tail);
        _sqMask = *(uint*)(_sqRing + p.SqOffsets.RingMask);
        _sqEntries = *(uint*)(_sqRing + p.SqOffsets.RingEntries);
        _cqHead = (uint*)(_cqRing + p.CqOffsets.Head);
        _cqTail = (uint*)(_cqRing + p.CqOffsets.Tail);
        _cqMask = *(uint*)(_cqRing + p.CqOffsets.RingMask);
        _cqes = (Cqe*)(_cqRing + p.CqOffsets.Dropped);

        // The indirection array maps each slot to the entry of the same index, once for all.
        uint* array = (uint*)(_sqRing + p.SqOffsets.Array);
        for (uint i = 0; i < _sqEntries; i++)
        {
            array[i] = i;
        }

        _tail = _submittedTail = *_sqTail;
    }

    public int Fd => _fd;

    /// <summary>
    /// Creates a ring of <paramref name="entries"/> submissions and <paramref name="completions"/> completions, disabled
    /// until the thread that will run it calls <see cref="Enable"/>: the ring has a single issuer, and its deferred
    /// completion work runs only when that thread waits, so completions are taken in batches on the loop.
    /// </summary>
    /// <exception cref="UringUnavailableException">The kernel refused the ring.</exception>
    public static Ring Create(uint entries, uint completions)
    {
        UringParams p = default;
        p.Flags = UringAbi.SetupSubmitAll | UringAbi.SetupSingleIssuer | UringAbi.SetupDeferTaskRun | UringAbi.SetupCqSize | UringAbi.SetupRDisabled;
        p.CqEntries = completions;
        int fd = UringCalls.Setup(entries, &p);
        if (fd < 0)
        {
            throw new UringUnavailableException(UringSupport.DescribeSetupError(UringCalls.LastError));
        }

        const uint Needed = UringAbi.FeatNoDrop | UringAbi.FeatExtArg;
        if ((p.Features & Needed) != Needed)
        {
            _ = Selectors.Internal.LibC.close(fd);
            throw new UringUnavailableException("the kernel's io_uring lacks IORING_FEAT_NODROP or IORING_FEAT_EXT_ARG");
        }

        return new Ring(fd, p);
    }

    /// <summary>Makes the calling thread the ring's only submitter. Loop thread, once.</summary>
    public void Enable()
    {
        if (UringCalls.Register(_fd, UringAbi.RegisterEnableRings, null, 0) < 0)
        {
            throw new InvalidOperationException($"IORING_REGISTER_ENABLE_RINGS failed with errno {UringCalls.LastError}.");
        }
    }

    /// <summary>
    /// The next submission entry, zeroed, to fill in; it goes to the kernel with the next <see cref="Wait"/>. When the
    /// queue is full, what is queued is submitted first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Sqe* Next()
    {
        if (_tail - Volatile.Read(ref *_sqHead) >= _sqEntries)
        {
            SubmitQueued();
        }

        Sqe* sqe = &_sqes[_tail & _sqMask];
        *sqe = default;
        _tail++;
        return sqe;
    }

    /// <summary>True when completions are waiting in the ring.</summary>
    public bool HasCompletions => Volatile.Read(ref *_cqTail) != *_cqHead;

    /// <summary>
    /// Submits what is queued and waits until a completion has arrived or <paramref name="timeoutMs"/> has passed
    /// (-1: no limit, 0: do not wait). Interruptions and timeouts return quietly.
    /// </summary>
    public void Wait(long timeoutMs)
    {
        Volatile.Write(ref *_sqTail, _tail);
        uint toSubmit = _tail - _submittedTail;
        uint minComplete = timeoutMs == 0 || HasCompletions ? 0u : 1u;
        KernelTimespec timeout = default;
        GetEventsArgument argument = default;
        if (timeoutMs > 0)
        {
            timeout.Seconds = timeoutMs / 1000;
            timeout.Nanoseconds = timeoutMs % 1000 * 1_000_000;
            argument.Timespec = (ulong)&timeout;
        }

        int result = UringCalls.Enter(_fd, toSubmit, minComplete, UringAbi.EnterGetEvents | UringAbi.EnterExtArg, &argument, (nuint)sizeof(GetEventsArgument));
        if (result >= 0)
        {
            _submittedTail += (uint)result;
            return;
        }

        int errno = UringCalls.LastError;
        if (errno is not (UringCalls.ETIME or UringCalls.EINTR or UringCalls.EBUSY or UringCalls.EAGAIN))
        {
            throw new InvalidOperationException($"io_uring_enter failed with errno {errno}.");
        }
    }

    /// <summary>
    /// Hands each waiting completion to <paramref name="handler"/> and frees its slot. The handler may queue new
    /// submissions.
    /// </summary>
    public int Drain<THandler>(ref THandler handler)
        where THandler : struct, ICompletionHandler
    {
        uint head = *_cqHead;
        uint tail = Volatile.Read(ref *_cqTail);
        int count = 0;
        while (head != tail)
        {
            Cqe cqe = _cqes[head & _cqMask];
            head++;

            // Freed before handling, so a handler that submits and waits cannot find the queue full of its own.
            Volatile.Write(ref *_cqHead, head);
            handler.OnCompletion(cqe.UserData, cqe.Result, cqe.Flags);
            count++;
            if (head == tail)
            {
                tail = Volatile.Read(ref *_cqTail);
            }
        }

        return count;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        UringCalls.Unmap((byte*)_sqes, _sqesSize);
        if (_cqRing != _sqRing)
        {
            UringCalls.Unmap(_cqRing, _cqRingSize);
        }

        UringCalls.Unmap(_sqRing, _sqRingSize);
        _ = Selectors.Internal.LibC.close(_fd);
    }

    private void SubmitQueued()
    {
        Volatile.Write(ref *_sqTail, _tail);
        int result = UringCalls.Enter(_fd, _tail - _submittedTail, 0, 0, null, 0);
        if (result < 0)
        {
            throw new InvalidOperationException($"io_uring_enter failed with errno {UringCalls.LastError}.");
        }

        _submittedTail += (uint)result;
    }
}

/// <summary>What <see cref="Ring.Drain{THandler}"/> hands each completion to, as a struct so the call is direct.</summary>
internal interface ICompletionHandler
{
    void OnCompletion(ulong userData, int result, uint flags);
}
