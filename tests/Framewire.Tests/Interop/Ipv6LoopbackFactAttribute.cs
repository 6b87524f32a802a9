using System.Net;
using System.Net.Sockets;

namespace Framewire.Tests.Interop;

/// <summary>A fact that needs ::1 and is reported as skipped on a machine (or container) without IPv6 loopback.</summary>
public sealed class Ipv6LoopbackFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> Available = new(CanBind);

    public Ipv6LoopbackFactAttribute()
    {
        if (!Available.Value)
        {
            Skip = "No IPv6 loopback here.";
        }
    }

    // Socket.OSSupportsIPv6 is true in containers whose ::1 is disabled; only a bind tells.
    private static bool CanBind()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
