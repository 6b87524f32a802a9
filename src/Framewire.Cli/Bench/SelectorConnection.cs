using System.Net.Sockets;
using Framewire.Engines.Internal.Selector;

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
    /// The part of the last batch that the socket buffer could not take yet (with TLS, the plaintext not yet
    /// encrypted). No new batch is taken until it is out: the request writer hands out the same slots again.
    /// </summary>
    public ReadOnlyMemory<byte> Unsent { get; set; }

    /// <summary>With TLS, the session over the current socket; null on plain TCP and between sockets.</summary>
    public LoopTls? Tls { get; set; }

    /// <summary>With TLS, what runs when a plaintext read that waited completes; made once per connection.</summary>
    public Action? OnTlsRead { get; set; }

    /// <summary>True while part of a batch waits for the socket to take it, as plaintext or, with TLS, as ciphertext.</summary>
    public bool IsSending => !Unsent.IsEmpty || (Tls is { } tls && tls.UnsentCiphertext > 0);

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

    /// <summary>Ends the TLS session, if any; a read it left waiting is never completed.</summary>
    public void EndTls()
    {
        Tls?.Dispose();
        Tls = null;
    }
}
