using System.Security.Cryptography.X509Certificates;
using Framewire.Internal;

namespace Framewire.Engines;

/// <summary>
/// TLS for a <see cref="MessageServer"/>, on either engine: the server's certificate and, for mutual TLS, the
/// authorities client certificates must chain to. Protocol versions and cipher suites are the operating system's
/// defaults; renegotiation is refused.
/// </summary>
public sealed class TlsServerOptions
{
    /// <summary>Serves <paramref name="certificate"/>, which must hold its private key, with the given intermediates.</summary>
    public TlsServerOptions(X509Certificate2 certificate, X509Certificate2Collection? intermediates = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("The server certificate has no private key.", nameof(certificate));
        }

        Certificate = certificate;
        Intermediates = intermediates ?? [];
    }

    /// <summary>The server's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Certificates sent after the server's so clients can build the chain to their root.</summary>
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>
    /// When not empty, mutual TLS: every client must present a certificate that chains to one of these
    /// authorities (and to nothing else: the system's roots are not consulted), or the handshake fails.
    /// </summary>
    public X509Certificate2Collection ClientCertificateAuthorities { get; } = [];

    /// <summary>
    /// Loads the certificate chain of <paramref name="certificatePath"/> (the server's certificate first, then
    /// intermediates) with the private key of <paramref name="keyPath"/>, and, for mutual TLS, the client
    /// authorities of <paramref name="clientCertificateAuthorityPath"/>. All files are PEM.
    /// </summary>
    /// <exception cref="IOException">A file cannot be read.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A file does not hold what it should.</exception>
    /// <exception cref="ArgumentException">The key does not match the certificate.</exception>
    public static TlsServerOptions FromPemFiles(string certificatePath, string keyPath, string? clientCertificateAuthorityPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        ArgumentException.ThrowIfNullOrEmpty(keyPath);
        X509Certificate2 certificate = PemFiles.LoadCertificateWithKey(certificatePath, keyPath);
        X509Certificate2Collection chain = PemFiles.LoadCertificates(certificatePath);
        chain.RemoveAt(0);
        var options = new TlsServerOptions(certificate, chain);
        if (clientCertificateAuthorityPath is not null)
        {
            options.ClientCertificateAuthorities.AddRange(PemFiles.LoadCertificates(clientCertificateAuthorityPath));
        }

        return options;
    }
}
