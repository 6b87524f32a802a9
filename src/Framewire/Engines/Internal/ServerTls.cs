using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Framewire.Engines.Internal;

/// <summary>Turns <see cref="TlsServerOptions"/> into what <see cref="SslStream"/> takes, once per server.</summary>
internal static class ServerTls
{
    // id-kp-clientAuth (RFC 5280 4.2.1.12): a client certificate issued for servers only is refused.
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    public static SslServerAuthenticationOptions CreateAuthenticationOptions(TlsServerOptions tls)
    {
        var options = new SslServerAuthenticationOptions
        {
            // offline: the chain is built from what we were given, without fetching intermediates at start.
            ServerCertificateContext = SslStreamCertificateContext.Create(tls.Certificate, tls.Intermediates, offline: true),

            // None lets the operating system choose, so TLS versions it deprecates stop being offered without a release of ours.
            EnabledSslProtocols = SslProtocols.None,

            // A client that renegotiates can make the server do handshake work over and over on one connection.
            AllowRenegotiation = false,
        };

        if (tls.ClientCertificateAuthorities.Count > 0)
        {
            options.ClientCertificateRequired = true;
            options.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;
            options.CertificateChainPolicy = CreateClientCertificatePolicy(tls);
            options.RemoteCertificateValidationCallback = static (_, certificate, _, errors) => certificate is not null && errors == SslPolicyErrors.None;
        }

        return options;
    }

    /// <summary>
    /// How a client certificate is judged under mutual TLS, on either engine: it must chain to one of the configured
    /// authorities and carry the clientAuth usage.
    /// </summary>
    public static X509ChainPolicy CreateClientCertificatePolicy(TlsServerOptions tls)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,

            // A private CA has no revocation service; an online check would only fail or stall the handshake.
            RevocationMode = X509RevocationMode.NoCheck,

            // The chain is built from what the client sent: fetching its issuers would block the handshake, and
            // on the selector engine the loop that runs it.
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(tls.ClientCertificateAuthorities);
        policy.ApplicationPolicy.Add(new Oid(ClientAuthenticationOid));
        return policy;
    }
}
