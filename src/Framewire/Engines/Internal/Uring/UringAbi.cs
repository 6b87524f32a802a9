using System.Runtime.InteropServices;

namespace Framewire.Engines.Internal.Uring;

/// <summary>The kernel's io_uring constants (include/uapi/linux/io_uring.h) that the engine uses.</summary>
internal static class UringAbi
{
    public const byte OpPollAdd = 6;
    public const byte OpAccept = 13;
    public const byte OpAsyncCancel = 14;
    public const byte OpSend = 26;
    public const byte OpRecv = 27;

    public const byte SqeBufferSelect = 1 << 5;

    public const uint SetupSubmitAll = 1 << 7;
    public const uint SetupCoopTaskRun = 1 << 8;
    public const uint SetupSingleIssuer = 1 << 12;
    public const uint SetupDeferTaskRun = 1 << 13;
    public const uint SetupCqSize = 1 << 3;
    public const uint SetupRDisabled = 1 << 6;

    public const uint FeatSingleMmap = 1 << 0;
    public const uint FeatNoDrop = 1 << 1;
    public const uint FeatExtArg = 1 << 8;

    public const uint EnterGetEvents = 1 << 0;
    public const uint EnterExtArg = 1 << 3;

    public const uint CqeFBuffer = 1 << 0;
    public const uint CqeFMore = 1 << 1;
    public const int CqeBufferShift = 16;

    public const ushort AcceptMultishot = 1 << 0;
    public const ushort RecvMultishot = 1 << 1;
    public const uint PollAddMulti = 1 << 0;
    public const uint PollIn = 0x1;

    // IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY: every request of the ring, whatever its user data.
    public const uint CancelAllAny = (1 << 0) | (1 << 2);

    public const uint RegisterProbe = 8;
    public const uint RegisterEnableRings = 12;
    public const uint RegisterPbufRing = 22;

    public const long OffSqRing = 0;
    public const long OffCqRing = 0x8000000;
    public const long OffSqes = 0x10000000;

    public const uint MsgNoSignal = 0x4000;
    public const int SockCloExec = 0x80000;

    public const ushort ProbeOpSupported = 1;
}

/// <summary><c>struct io_uring_sqe</c>, 64 bytes, with the fields the engine fills.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct Sqe
{
    [FieldOffset(0)] public byte Opcode;
    [FieldOffset(1)] public byte Flags;
    [FieldOffset(2)] public ushort IoPrio;
    [FieldOffset(4)] public int Fd;
    [FieldOffset(8)] public ulong Offset;
    [FieldOffset(16)] public ulong Address;
    [FieldOffset(24)] public uint Length;
    [FieldOffset(28)] public uint OpFlags;
    [FieldOffset(32)] public ulong UserData;
    [FieldOffset(40)] public ushort BufferGroup;
    [FieldOffset(42)] public ushort Personality;
    [FieldOffset(44)] public uint FileIndex;
    [FieldOffset(48)] public ulong Address3;
    [FieldOffset(56)] public ulong Pad;
}

/// <summary><c>struct io_uring_cqe</c>, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Cqe
{
    public ulong UserData;
    public int Result;
    public uint Flags;
}

/// <summary><c>struct io_sqring_offsets</c> and <c>struct io_cqring_offsets</c> share this shape (40 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RingOffsets
{
    public uint Head;
    public uint Tail;
    public uint RingMask;
    public uint RingEntries;
    public uint Flags;     // cq: overflow
    public uint Dropped;   // cq: cqes
    public uint Array;     // cq: flags
    public uint Reserved;
    public ulong UserAddress;
}

/// <summary><c>struct io_uring_params</c>, 120 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UringParams
{
    public uint SqEntries;
    public uint CqEntries;
    public uint Flags;
    public uint SqThreadCpu;
    public uint SqThreadIdle;
    public uint Features;
    public uint WqFd;
    public uint Reserved0;
    public uint Reserved1;
    public uint Reserved2;
    public RingOffsets SqOffsets;
    public RingOffsets CqOffsets;
}

/// <summary><c>struct io_uring_buf_reg</c>, 40 bytes: registers a provided-buffer ring.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BufferRingRegistration
{
    public ulong RingAddress;
    public uint RingEntries;
    public ushort GroupId;
    public ushort Flags;
    public ulong Reserved0;
    public ulong Reserved1;
    public ulong Reserved2;
}

/// <summary><c>struct io_uring_getevents_arg</c>, 24 bytes: the wait's timeout.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GetEventsArgument
{
    public ulong SignalMask;
    public uint SignalMaskSize;
    public uint MinWaitMicroseconds;
    public ulong Timespec;
}

/// <summary><c>struct __kernel_timespec</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KernelTimespec
{
    public long Seconds;
    public long Nanoseconds;
}
