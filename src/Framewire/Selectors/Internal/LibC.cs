using System.Runtime.InteropServices;

namespace Framewire.Selectors.Internal;

/// <summary>
/// The C library calls the selectors make. This part is POSIX and holds what every Unix spells alike;
/// <c>LibC.Linux.cs</c> has the Linux-only calls and the constants whose values differ elsewhere.
/// </summary>
internal static partial class LibC
{
    // The runtime maps "libc" to the platform's C library (libc.so.6 on glibc, libc.dylib on macOS).
    private const string Name = "libc";

    /// <summary>Interrupted by a signal handler (errno).</summary>
    internal const int EINTR = 4;

    /// <summary>poll(2): readable.</summary>
    internal const short POLLIN = 0x1;

    /// <summary>poll(2): writable.</summary>
    internal const short POLLOUT = 0x4;

    // nfds_t is unsigned long on Linux and unsigned int on the BSDs and macOS; a native-sized argument fills the whole
    // register either way, so one declaration fits both.
    [LibraryImport(Name, SetLastError = true)]
    internal static unsafe partial int poll(PollFd* fds, nuint nfds, int timeout);

    [LibraryImport(Name)]
    internal static partial int close(int fd);
}
