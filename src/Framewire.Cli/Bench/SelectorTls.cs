using System.Net;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Authentication;
using Framewire.Client;
using Framewire.Engines.Internal.Selector;
using Framewire.Selectors;

namespace Framewire.Cli.Bench;

/// <summary>
/// TLS for the <see cref="SelectorDriver"/>'s connections, as the selector server engine runs it: an
/// <see cref="System.Net.Security.SslStream"/> over <see cref="LoopTls"/>, whose reads the selector's readiness
/// completes and whose writes collect ciphertext that the connection sends. The handshake is driven here for both
/// the driver's connect phase and its loops (oneshot, reconnects), so that each only says what to watch and what
/// to do when the handshake is over.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class SelectorTls
{
    private readonly TlsClientOptions _options;
    private readonly string? _host;
    private readonly EndPoint _endPoint;

    /// <param name="host">The server's name as given, which its certificate must carry; null for a Unix socket.</param>
    public SelectorTls(TlsClientOptions options, string? host, EndPoint endPoint)
    {
        _options = options;
        _host = host;
        _endPoint = endPoint;
    }

    /// <summary>The events a connection's session waits for: the socket's readiness for the read under way, and for the ciphertext it has yet to take.</summary>
    public static SelectorEvents Waiting(LoopTls tls) =>
        (tls.IsReadPending ? SelectorEvents.Read : SelectorEvents.None) | (tls.UnsentCiphertext > 0 ? SelectorEvents.Write : SelectorEvents.None);

    /// <summary>True once the handshake has succeeded and all it wrote is sent.</summary>
    public static bool IsEstablished(LoopTls tls) => tls.Handshake!.IsCompletedSuccessfully && tls.UnsentCiphertext == 0;

    /// <summary>Starts the client's side of the handshake on the connection's connected, registered socket.</summary>
    public void Start(SelectorConnection connection)
    {
        var tls = new LoopTls(connection.Fd, prefix: null);
        connection.Tls = tls;
        connection.State = SelectorConnectionState.Handshaking;

        // Runs until its first read waits for the socket: the ClientHello is in the ciphertext when this returns.
        tls.Handshake = tls.Ssl.AuthenticateAsClientAsync(_options.CreateAuthenticationOptions(_host, _endPoint), CancellationToken.None);
    }

    /// <summary>
    /// Advances the handshake on the events the selector reported (none right after <see cref="Start"/>): a read it
    /// waits for is completed, which resumes it inline, and what it wrote is sent. Returns why it failed, in the
    /// words the async driver uses, or null while it goes on or once it is established.
    /// </summary>
    public static string? Advance(SelectorConnection connection, SelectorEvents ready)
    {
        LoopTls tls = connection.Tls!;
        if ((ready & SelectorEvents.Read) != 0 && tls.IsReadPending)
        {
            tls.OnReadable();
        }

        // The alert that tells the server why goes out too, if the socket takes it now.
        int errno = tls.SendCiphertext();
        if (tls.Handshake!.Exception is { } failure)
        {
            return "TLS handshake failed: " + (failure.InnerException ?? failure).Message;
        }

        return errno is 0 or SocketCalls.EAGAIN ? null : "TLS handshake failed: " + Marshal.GetPInvokeErrorMessage(errno);
    }
}
