using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Framewire.Internal;

namespace Framewire.Client;

/// <summary>TLS for a <see cref="MessageClient"/>: whom to trust, the name to check, and a certificate for mutual TLS.</summary>
public sealed class TlsClientOptions
{
    /// <summary>
    /// The name the server's certificate must carry, and the SNI sent; null for the host given to
    /// <see cref="MessageClient.ConnectAsync(string, int, MessageClientOptions?, CancellationToken)"/> (or the address).
    /// </summary>
    public string? TargetHost { get; set; }

    /// <summary>
    /// When not empty, the server's certificate must chain to one of these (and the system's roots are not
    /// consulted), as for a private CA; when empty, the system's trust store decides.
    /// </summary>
    public X509Certificate2Collection CertificateAuthorities { get; } = [];

    /// <summary>The client's certificate with its private key, for servers that require mutual TLS.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>
    /// Loads the PEM files given: the authorities to trust (null for the system's) and, for mutual TLS, the
    /// client's certificate and key (both or neither).
    /// </summary>
    /// <exception cref="IOException">A file cannot be read.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A file does not hold what it should.</exception>
    /// <exception cref="ArgumentException">Only one of the certificate and the key was given, or they do not match.</exception>
    public static TlsClientOptions FromPemFiles(string? certificateAuthorityPath, string? clientCertificatePath = null, string? clientKeyPath = null)
    {
        if ((clientCertificatePath is null) != (clientKeyPath is null))
        {
            throw new ArgumentException("A client certificate needs both its certificate file and its key file.");
        }

        var options = new TlsClientOptions();
        if (certificateAuthorityPath is not null)
        {
            options.CertificateAuthorities.AddRange(PemFiles.LoadCertificates(certificateAuthorityPath));
        }

        if (clientCertificatePath is not null)
        {
            options.ClientCertificate = PemFiles.LoadCertificateWithKey(clientCertificatePath, clientKeyPath!);
        }

        return options;
    }

    /// <summary>
    /// The handshake's options for a connection to <paramref name="host"/> (null when connecting by address) at
    /// <paramref name="endPoint"/>; a fresh instance each time, as a handshake may keep it.
    /// </summary>
    internal SslClientAuthenticationOptions CreateAuthenticationOptions(string? host, EndPoint endPoint)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = TargetHost ?? host ?? (endPoint as IPEndPoint)?.Address.ToString() ?? "localhost",
            EnabledSslProtocols = SslProtocols.None,
            AllowRenegotiation = false,
        };

        if (ClientCertificate is not null)
        {
            options.ClientCertificates = [ClientCertificate];
        }

        if (CertificateAuthorities.Count > 0)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,

                // A private CA has no revocation service; an online check would only fail or stall the handshake.
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(CertificateAuthorities);
            options.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;
            options.CertificateChainPolicy = policy;
        }

        return options;
    }
}
