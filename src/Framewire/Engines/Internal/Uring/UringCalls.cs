using System.Runtime.InteropServices;

namespace Framewire.Engines.Internal.Uring;

/// <summary>
/// The system calls the io_uring engine makes. io_uring has no libc wrapper, so its three calls go through
/// <c>syscall(2)</c>; their numbers (425–427) are the same on every Linux architecture, as they came after the
/// system call tables were unified. The rings are shared memory mapped from the ring's descriptor.
/// </summary>
internal static unsafe partial class UringCalls
{
    public const int EPERM = 1;
    public const int ENOMEM = 12;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
    public const int ENOBUFS = 105;
    public const int ECANCELED = 125;
    public const int ETIME = 62;
    public const int EINTR = 4;
    public const int EBUSY = 16;
    public const int EAGAIN = 11;

    private const long SysIoUringSetup = 425;
    private const long SysIoUringEnter = 426;
    private const long SysIoUringRegister = 427;

    private const int ProtRead = 0x1;
    private const int ProtWrite = 0x2;
    private const int MapShared = 0x01;
    private const int MapPrivate = 0x02;
    private const int MapAnon = 0x20;
    private const int MapPopulate = 0x8000;

    /// <summary>io_uring_setup(2): the ring's descriptor, or -1 with errno set.</summary>
    public static int Setup(uint entries, UringParams* parameters) =>
        (int)Syscall(SysIoUringSetup, (nint)entries, (nint)parameters, 0, 0, 0, 0);

    /// <summary>io_uring_enter(2): the number of submissions taken, or -1 with errno set.</summary>
    public static int Enter(int ringFd, uint toSubmit, uint minComplete, uint flags, void* argument, nuint argumentSize) =>
        (int)Syscall(SysIoUringEnter, ringFd, (nint)toSubmit, (nint)minComplete, (nint)flags, (nint)argument, (nint)argumentSize);

    /// <summary>io_uring_register(2): 0 or a positive result, or -1 with errno set.</summary>
    public static int Register(int ringFd, uint opcode, void* argument, uint count) =>
        (int)Syscall(SysIoUringRegister, ringFd, (nint)opcode, (nint)argument, (nint)count, 0, 0);

    /// <summary>Maps <paramref name="length"/> bytes of the ring at <paramref name="offset"/>; null on failure.</summary>
    public static byte* MapRing(int ringFd, nuint length, long offset)
    {
        nint address = Mmap(0, length, ProtRead | ProtWrite, MapShared | MapPopulate, ringFd, offset);
        return address == -1 ? null : (byte*)address;
    }

    /// <summary>Page-aligned zeroed memory the kernel and the loop share (a provided-buffer ring); null on failure.</summary>
    public static byte* MapAnonymous(nuint length)
    {
        nint address = Mmap(0, length, ProtRead | ProtWrite, MapPrivate | MapAnon, -1, 0);
        return address == -1 ? null : (byte*)address;
    }

    public static void Unmap(byte* address, nuint length)
    {
        if (address is not null)
        {
            _ = Munmap((nint)address, length);
        }
    }

    /// <summary>The peer's address of an accepted socket, into <paramref name="address"/>; -1 on failure.</summary>
    public static int PeerName(int fd, Span<byte> address, out int length)
    {
        uint size = (uint)address.Length;
        int result;
        fixed (byte* p = address)
        {
            result = GetPeerName(fd, p, &size);
        }

        length = (int)size;
        return result;
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    // syscall(2) is variadic; on the Linux ABIs .NET runs on (x86-64, arm64) integer arguments travel in the same
    // registers as for a fixed signature, so six fixed arguments call it correctly whatever the call takes.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "getpeername", SetLastError = true)]
    private static partial int GetPeerName(int fd, void* address, uint* length);
}
