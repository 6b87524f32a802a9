using System.Runtime.InteropServices;

namespace Framewire.Selectors.Internal;

/// <summary>
/// Linux-only calls: epoll. The constants are Linux's generic values, the same on every architecture .NET runs on; the
/// BSDs and macOS differ.
/// </summary>
internal static partial class LibC
{
    internal const int ENOENT = 2;
    internal const int EBADF = 9;

    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1;
    internal const int EPOLL_CTL_DEL = 2;
    internal const int EPOLL_CTL_MOD = 3;
    internal const uint EPOLLIN = 0x1;
    internal const uint EPOLLOUT = 0x4;

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
}
