using System.Net;
using System.Net.Sockets;

namespace Framewire.Engines.Internal;

/// <summary>Creates listening sockets the same way for every engine.</summary>
internal static class Listeners
{
    public static Socket Listen(EndPoint endPoint, int backlog, bool reusePort = false)
    {
        Socket listener = Endpoints.CreateSocket(endPoint);
        try
        {
            if (endPoint is UnixDomainSocketEndPoint unix)
            {
                RemoveSocketFile(unix);
            }
            else if (endPoint is IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip && ip.Address.Equals(IPAddress.IPv6Any))
            {
                // "::" means every interface, IPv4 included, as it does for most servers.
                listener.DualMode = true;
            }

            if (reusePort)
            {
                // SO_REUSEPORT: several listeners on one port, and the kernel spreads new connections among them.
                const int SolSocket = 1;
                const int SoReusePort = 15;
                listener.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            }

            listener.Bind(endPoint);
            listener.Listen(backlog);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    public static void RemoveSocketFile(UnixDomainSocketEndPoint endPoint)
    {
        string path = endPoint.ToString();
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
