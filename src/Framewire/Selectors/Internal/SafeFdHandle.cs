using Microsoft.Win32.SafeHandles;

namespace Framewire.Selectors.Internal;

/// <summary>
/// A file descriptor the selectors own (an epoll instance, an eventfd). Closing through a SafeHandle means a call still
/// using the descriptor on another thread keeps its number from being reused until the call returns, and a selector
/// that is never disposed does not leak it.
/// </summary>
internal sealed class SafeFdHandle : SafeHandleMinusOneIsInvalid
{
    // The interop marshaller creates instances for the calls that return a descriptor.
    public SafeFdHandle()
        : base(ownsHandle: true)
    {
    }

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
