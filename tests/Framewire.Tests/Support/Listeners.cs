using System.Net;
using System.Net.Sockets;

namespace Framewire.Tests.Support;

/// <summary>Loopback ports for tests that need a listener nobody serves, or a port nobody listens on.</summary>
internal static class Listeners
{
    /// <summary>A TCP listener on 127.0.0.1 that accepts nothing by itself: connections wait in its backlog.</summary>
    public static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        return listener;
    }

    public static int PortOf(Socket listener) => ((IPEndPoint)listener.LocalEndPoint!).Port;

    /// <summary>A port that was free a moment ago: connecting to it is refused.</summary>
    public static int FreePort()
    {
        using Socket listener = Listen();
        return PortOf(listener);
    }
}
