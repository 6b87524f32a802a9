using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Framewire.Engines;
using Framewire.Engines.Internal.Selector;
using Microsoft.Extensions.Logging.Abstractions;

namespace Framewire.Testing;

/// <summary>
/// The selector engine's OpenSSL session on a real loopback connection, past its handshake: an
/// <see cref="OpenSslSession"/> on the accepted non-blocking descriptor, an <see cref="SslStream"/> client on the other
/// end, and a throwaway ECDSA P-256 certificate. One source file, compiled into the tests and the benchmarks.
/// </summary>
internal sealed class OpenSslPair : IDisposable
{
    private readonly X509Certificate2 _certificate;
    private readonly OpenSslContext _context;

    /// <param name="wrapClient">Puts a stream of the caller's between the client's TLS and its socket.</param>
    public OpenSslPair(Func<Stream, Stream>? wrapClient = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using X509Certificate2 ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        Client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Client.Connect(listener.LocalEndPoint!);
        Server = listener.Accept();
        Server.NoDelay = true;
        Server.Blocking = false;

        // The selector engine's hosts (Linux) have OpenSSL 3, which the runtime itself needs for SslStream.
        _context = OpenSslContext.TryCreate(new TlsServerOptions(_certificate), NullLogger.Instance)
            ?? throw new InvalidOperationException("OpenSSL 3 cannot be driven here.");
        Session = new OpenSslSession(_context, (int)Server.Handle, prefix: null);
        Stream beneath = new NetworkStream(Client);
        ClientTls = new SslStream(wrapClient is null ? beneath : wrapClient(beneath), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        Task handshake = ClientTls.AuthenticateAsClientAsync("localhost");
        for (int step = Session.Handshake(); step != 1; step = Session.Handshake())
        {
            WaitFor(step, TimeSpan.FromSeconds(10));
        }

        handshake.GetAwaiter().GetResult();
    }

    public Socket Client { get; }

    /// <summary>The accepted, non-blocking descriptor the session reads and sends on.</summary>
    public Socket Server { get; }

    public SslStream ClientTls { get; }

    public OpenSslSession Session { get; }

    /// <summary>
    /// What the loop does when OpenSSL must wait: watches the server's socket for what it asked; false when it did not
    /// become ready within <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="IOException">The outcome was a failure, not a wait.</exception>
    public bool WaitFor(int outcome, TimeSpan timeout) => outcome switch
    {
        OpenSslSession.WantRead => Server.Poll(timeout, SelectMode.SelectRead),
        OpenSslSession.WantWrite => Server.Poll(timeout, SelectMode.SelectWrite),
        _ => throw new IOException("The session failed: " + Session.Failure),
    };

    public void Dispose()
    {
        ClientTls.Dispose();
        Session.Dispose();
        _context.Dispose();
        Server.Dispose();
        Client.Dispose();
        _certificate.Dispose();
    }
}
