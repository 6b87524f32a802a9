using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Framewire.Selectors.Internal;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// The Linux socket calls the selector engine makes on raw descriptors. The per-message ones, read and send, are
/// <see cref="LibC"/>'s, shared with the selectors, which skip the GC transition on them.
/// </summary>
internal static unsafe partial class SocketCalls
{
    public const int EAGAIN = LibC.EAGAIN;
    public const int EINTR = 4;
    public const int EMFILE = 24;
    public const int ENFILE = 23;
    public const int ENOBUFS = 105;
    public const int ENOMEM = 12;
    public const int ECONNABORTED = 103;
    public const int EPERM = 1;
    public const int EPROTO = 71;
    public const int ENOPROTOOPT = 92;
    public const int EOPNOTSUPP = 95;
    public const int ENETDOWN = 100;
    public const int ENETUNREACH = 101;
    public const int EHOSTDOWN = 112;
    public const int EHOSTUNREACH = 113;
    public const int ENONET = 64;

    private const int SockNonBlock = 0x800;
    private const int SockCloExec = 0x80000;
    private const int IpProtoTcp = 6;
    private const int TcpNoDelay = 1;
    private const int ShutRd = 0;
    private const int ShutWr = 1;

    /// <summary>Reads what is available; -1 with errno set on failure (EAGAIN: nothing yet).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return (int)LibC.read(fd, p, (nuint)buffer.Length);
        }
    }

    /// <summary>Writes what fits; -1 with errno set on failure (EAGAIN: the socket buffer is full).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Send(int fd, ReadOnlySpan<byte> buffer)
    {
        // LibC.Send adds MSG_NOSIGNAL: a peer that has gone away must give EPIPE, not kill the process with SIGPIPE.
        fixed (byte* p = buffer)
        {
            return (int)LibC.Send(fd, p, (nuint)buffer.Length);
        }
    }

    /// <summary>Accepts a connection as a non-blocking, close-on-exec descriptor, with the peer's address.</summary>
    public static int Accept(int listenFd, Span<byte> address, out int addressLength)
    {
        uint length = (uint)address.Length;
        int fd;
        fixed (byte* p = address)
        {
            fd = SysAccept4(listenFd, p, &length, SockNonBlock | SockCloExec);
        }

        addressLength = (int)length;
        return fd;
    }

    public static void SetNoDelay(int fd)
    {
        int one = 1;
        _ = SysSetSockOpt(fd, IpProtoTcp, TcpNoDelay, &one, sizeof(int));
    }

    public static int ShutdownReceive(int fd) => SysShutdown(fd, ShutRd);

    public static int ShutdownSend(int fd) => SysShutdown(fd, ShutWr);

    public static int Close(int fd) => SysClose(fd);

    /// <summary>A non-blocking eventfd: the loop's doorbell for work posted from other threads.</summary>
    public static SafeFdHandle CreateEventFd() => LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);

    /// <summary>
    /// Rings the doorbell. Through the SafeHandle, so that a ring racing with the loop's disposal can never write
    /// into whatever descriptor reuses the number; a closed doorbell throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public static void Signal(SafeFdHandle eventFd)
    {
        ulong one = 1;
        _ = SysWriteHandle(eventFd, &one, sizeof(ulong));
    }

    public static void Drain(SafeFdHandle eventFd)
    {
        ulong count;
        _ = LibC.read(eventFd.Fd, (byte*)&count, sizeof(ulong));
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint SysWriteHandle(SafeFdHandle fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    private static partial int SysAccept4(int fd, void* address, uint* addressLength, int flags);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SysSetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    private static partial int SysShutdown(int fd, int how);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int SysClose(int fd);
}
