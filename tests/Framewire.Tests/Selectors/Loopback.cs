using System.Net;
using System.Net.Sockets;

namespace Framewire.Tests.Selectors;

/// <summary>A TCP listener on 127.0.0.1 that makes connected socket pairs and disposes everything it made.</summary>
internal sealed class Loopback : IDisposable
{
    private readonly List<Socket> _sockets = [];

    public Loopback()
    {
        Listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Listener.Listen(1024);
        _sockets.Add(Listener);
    }

    public Socket Listener { get; }

    /// <summary>Connects a client without accepting it.</summary>
    public Socket ConnectClient()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(client);
        client.Connect(Listener.LocalEndPoint!);
        return client;
    }

    /// <summary>Connects a client and accepts it; both ends are non-blocking unless asked otherwise.</summary>
    public (Socket Client, Socket Server) Connect(bool blocking = false)
    {
        Socket client = ConnectClient();
        Socket server = Listener.Accept();
        _sockets.Add(server);
        client.Blocking = blocking;
        server.Blocking = blocking;
        return (client, server);
    }

    public void Dispose()
    {
        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }
    }
}
