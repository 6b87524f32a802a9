using System.Net.Sockets;

namespace Framewire.Cli.Bench;

/// <summary>A connection as a <see cref="SelectorLoop"/> sees it: the data of its selector registration.</summary>
internal sealed class SelectorConnection(BenchConnection connection)
{
    public BenchConnection Connection { get; } = connection;

    public SelectorConnectionState State { get; set; }

    /// <summary>The socket's descriptor, for the libc calls; valid while <see cref="Socket"/> is open.</summary>
    public int Fd { get; private set; } = -1;

    /// <summary>The registered socket; null while none is.</summary>
    public Socket? Registered { get; private set; }

    /// <summary>
    /// The part of the last batch that the socket buffer could not take yet. No new batch is taken until it is out:
    /// the request writer hands out the same slots again.
    /// </summary>
    public ReadOnlyMemory<byte> Unsent { get; set; }

    /// <summary>When a connection that failed to connect tries again.</summary>
    public long RetryAt { get; set; }

    public void OnRegistered(Socket socket)
    {
        Registered = socket;
        Fd = (int)socket.SafeHandle.DangerousGetHandle();
    }

    public void OnUnregistered()
    {
        Registered = null;
        Fd = -1;
    }
}
