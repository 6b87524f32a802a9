using System.Runtime.InteropServices;

namespace Framewire.Selectors.Internal;

/// <summary>
/// Linux-only calls: epoll, eventfd, timerfd, and the non-blocking I/O an event loop makes on the descriptors it selects.
/// The constants are Linux's generic values, the same on every architecture .NET runs on; the BSDs and macOS differ.
/// </summary>
internal static partial class LibC
{
    internal const int ENOENT = 2;
    internal const int EBADF = 9;

    /// <summary>Also EWOULDBLOCK, which Linux defines as the same value.</summary>
    internal const int EAGAIN = 11;
    internal const int EPIPE = 32;
    internal const int ECONNRESET = 104;

    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;
    internal const int EPOLL_CTL_MOD = 3;
    internal const uint EPOLLIN = 0x1;
    internal const uint EPOLLOUT = 0x4;

    internal const int EFD_NONBLOCK = 0x800;
    internal const int EFD_CLOEXEC = 0x80000;

    private const int MSG_DONTWAIT = 0x40;
    private const int MSG_NOSIGNAL = 0x4000;

    /// <summary>
    /// The size of <c>struct epoll_event { uint32_t events; uint64_t data; }</c>. The kernel declares it packed on
    /// x86-64 only, so that 64-bit kernels share the i386 layout with 32-bit programs: 12 bytes there (and on x86, whose
    /// ABI aligns a uint64_t to 4), 16 bytes everywhere else, arm64 included, where data is aligned to 8. Reading a
    /// buffer with the wrong size misplaces every event after the first, so it is decided from the running process.
    /// </summary>
    internal static readonly int EpollEventSize =
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86 ? 12 : 16;

    /// <summary>The offset of <c>data</c> in <c>struct epoll_event</c>: right after the 4-byte <c>events</c> when packed.</summary>
    internal static readonly int EpollDataOffset = EpollEventSize - sizeof(ulong);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial SafeFdHandle epoll_create1(int flags);

    [LibraryImport(Name, SetLastError = true)]
    internal static unsafe partial int epoll_ctl(SafeFdHandle epfd, int op, int fd, byte* @event);

    [LibraryImport(Name, SetLastError = true)]
    internal static unsafe partial int epoll_wait(SafeFdHandle epfd, byte* events, int maxevents, int timeout);

    [LibraryImport(Name, SetLastError = true)]
    internal static partial SafeFdHandle eventfd(uint initval, int flags);

    internal const int CLOCK_MONOTONIC = 1;
    internal const int TFD_NONBLOCK = 0x800;
    internal const int TFD_CLOEXEC = 0x80000;
    internal const int TFD_TIMER_ABSTIME = 1;

    [LibraryImport(Name, SetLastError = true)]
    internal static partial SafeFdHandle timerfd_create(int clockid, int flags);

    /// <summary>
    /// <paramref name="newValue"/> points to a <c>struct itimerspec</c>: four native-sized integers (interval seconds
    /// and nanoseconds, then the expiry's), as <c>time_t</c> and <c>long</c> are both native-sized on Linux.
    /// </summary>
    [LibraryImport(Name, SetLastError = true)]
    internal static unsafe partial int timerfd_settime(SafeFdHandle fd, int flags, nint* newValue, nint* oldValue);

    // read, write, recv and send skip the GC transition. A P/Invoke normally lets a GC run alongside the native code,
    // at the price of switching the thread's mode on the way in and out; on a descriptor that cannot block these calls
    // return within microseconds, so the switch is pure overhead on the hottest calls of an event loop. The price is
    // that a GC must wait for the call to return: never pass read and write a descriptor without O_NONBLOCK, and
    // recv and send add MSG_DONTWAIT themselves, so even a blocking socket cannot stall the runtime.
    [LibraryImport(Name, SetLastError = true)]
    [SuppressGCTransition]
    internal static unsafe partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport(Name, SetLastError = true)]
    [SuppressGCTransition]
    internal static unsafe partial nint write(int fd, byte* buffer, nuint count);

    /// <summary>recv(2) without blocking, whatever the socket's mode.</summary>
    internal static unsafe nint Recv(int fd, byte* buffer, nuint length) => recv(fd, buffer, length, MSG_DONTWAIT);

    /// <summary>send(2) without blocking, and with an EPIPE error instead of SIGPIPE when the peer has gone.</summary>
    internal static unsafe nint Send(int fd, byte* buffer, nuint length) => send(fd, buffer, length, MSG_DONTWAIT | MSG_NOSIGNAL);

    [LibraryImport(Name, SetLastError = true)]
    [SuppressGCTransition]
    private static unsafe partial nint recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Name, SetLastError = true)]
    [SuppressGCTransition]
    private static unsafe partial nint send(int fd, byte* buffer, nuint length, int flags);
}
