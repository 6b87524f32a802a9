using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// One server's OpenSSL context (<c>SSL_CTX</c>), made from its <see cref="TlsServerOptions"/>: the certificate, its
/// key and intermediates handed over in memory, TLS 1.2 at the least, renegotiation refused, no session resumption
/// (no tickets, no cache: an idle connection's session would be memory held per client), and for mutual TLS the
/// client's chain judged by the same managed <see cref="X509ChainPolicy"/> as the async engine's.
/// </summary>
internal sealed unsafe class OpenSslContext : IDisposable
{
    private readonly X509ChainPolicy? _clientPolicy;
    private GCHandle _self;
    private nint _ctx;

    private OpenSslContext(nint ctx, X509ChainPolicy? clientPolicy)
    {
        _ctx = ctx;
        _clientPolicy = clientPolicy;
        _self = GCHandle.Alloc(this);
    }

    /// <summary>
    /// The context for <paramref name="tls"/>, or null when this process cannot drive OpenSSL 3 itself (not Linux, no
    /// libssl.so.3, a key it cannot export): then the connections run <see cref="System.Net.Security.SslStream"/>.
    /// </summary>
    public static OpenSslContext? TryCreate(TlsServerOptions tls, ILogger logger)
    {
        string? reason = null;
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(OpenSsl.Ssl, out _) || !NativeLibrary.TryLoad(OpenSsl.Crypto, out _))
        {
            reason = "OpenSSL 3 (libssl.so.3) cannot be loaded";
        }
        else if (OpenSsl.OpenSSL_version_num() < 0x30000000)
        {
            reason = "the OpenSSL loaded is older than 3.0";
        }
        else
        {
            try
            {
                return Create(tls);
            }
            catch (CryptographicException e)
            {
                reason = e.Message;
            }
        }

        ServerLog.TlsThroughSslStream(logger, reason);
        return null;
    }

    /// <summary>A new connection's <c>SSL</c>, in the server role; the caller owns it.</summary>
    public nint NewSession()
    {
        nint ssl = OpenSsl.SSL_new(_ctx);
        if (ssl == 0)
        {
            throw new CryptographicException(OpenSsl.TakeError("SSL_new failed."));
        }

        OpenSsl.SSL_set_accept_state(ssl);
        return ssl;
    }

    public void Dispose()
    {
        if (_ctx != 0)
        {
            // Sessions hold their own reference on the context: it is freed with the last of them.
            OpenSsl.SSL_CTX_free(_ctx);
            _ctx = 0;
            _self.Free();
        }
    }

    private static OpenSslContext Create(TlsServerOptions tls)
    {
        OpenSsl.ERR_clear_error();
        nint ctx = OpenSsl.SSL_CTX_new(OpenSsl.TLS_server_method());
        if (ctx == 0)
        {
            throw new CryptographicException(OpenSsl.TakeError("SSL_CTX_new failed."));
        }

        OpenSslContext? context = null;
        try
        {
            // The options OpenSSL's system configuration sets stay; these add to them. An end of stream without
            // close_notify is left to the session to judge (OpenSSL would answer it with a fatal alert, which a
            // client half-closing after its last request would read instead of its answer).
            OpenSsl.SSL_CTX_set_options(ctx, OpenSsl.OptionNoRenegotiation | OpenSsl.OptionNoTicket | OpenSsl.OptionIgnoreUnexpectedEof
                | OpenSsl.OptionNoCompression | OpenSsl.OptionCipherServerPreference);
            OpenSsl.SSL_CTX_ctrl(ctx, OpenSsl.CtrlSetMinProtocolVersion, OpenSsl.Tls12Version, 0);
            OpenSsl.SSL_CTX_ctrl(ctx, OpenSsl.CtrlSetSessionCacheMode, 0, 0);
            Check(OpenSsl.SSL_CTX_set_num_tickets(ctx, 0), "SSL_CTX_set_num_tickets");

            // Partial writes: a record the socket took counts as sent at once, and one it did not is retried from the
            // same plaintext, wherever the output buffer has moved. Read-ahead: one recv takes every record queued.
            OpenSsl.SSL_CTX_ctrl(ctx, OpenSsl.CtrlMode, (nint)(OpenSsl.ModeEnablePartialWrite | OpenSsl.ModeAcceptMovingWriteBuffer), 0);
            OpenSsl.SSL_CTX_ctrl(ctx, OpenSsl.CtrlSetReadAhead, 1, 0);

            UseCertificateAndKey(ctx, tls);
            X509ChainPolicy? policy = null;
            if (tls.ClientCertificateAuthorities.Count > 0)
            {
                policy = ServerTls.CreateClientCertificatePolicy(tls);
                foreach (X509Certificate2 authority in tls.ClientCertificateAuthorities)
                {
                    // Named in the certificate request, so a client with several certificates picks the right one.
                    nint x509 = Decode(authority.RawData);
                    int added = OpenSsl.SSL_CTX_add_client_CA(ctx, x509);
                    OpenSsl.X509_free(x509);
                    Check(added, "SSL_CTX_add_client_CA");
                }
            }

            context = new OpenSslContext(ctx, policy);
            if (policy is not null)
            {
                OpenSsl.SSL_CTX_set_verify(ctx, OpenSsl.VerifyPeer | OpenSsl.VerifyFailIfNoPeerCertificate, 0);
                OpenSsl.SSL_CTX_set_cert_verify_callback(ctx, &VerifyClientChain, GCHandle.ToIntPtr(context._self));
            }

            return context;
        }
        catch
        {
            if (context is not null)
            {
                context.Dispose();
            }
            else
            {
                OpenSsl.SSL_CTX_free(ctx);
            }

            throw;
        }
    }

    private static void UseCertificateAndKey(nint ctx, TlsServerOptions tls)
    {
        nint leaf = Decode(tls.Certificate.RawData);
        int used = OpenSsl.SSL_CTX_use_certificate(ctx, leaf);
        OpenSsl.X509_free(leaf);
        Check(used, "SSL_CTX_use_certificate");

        foreach (X509Certificate2 intermediate in tls.Intermediates)
        {
            // SSL_CTX_add0_chain_cert: the context takes the reference.
            nint x509 = Decode(intermediate.RawData);
            if (OpenSsl.SSL_CTX_ctrl(ctx, OpenSsl.CtrlChainCertificate, 0, x509) != 1)
            {
                OpenSsl.X509_free(x509);
                Check(0, "SSL_CTX_add0_chain_cert");
            }
        }

        byte[] pem = Encoding.ASCII.GetBytes(ExportKeyPem(tls.Certificate));
        nint key;
        fixed (byte* p = pem)
        {
            nint bio = OpenSsl.BIO_new_mem_buf(p, pem.Length);
            key = OpenSsl.PEM_read_bio_PrivateKey(bio, 0, 0, 0);
            OpenSsl.BIO_free(bio);
        }

        CryptographicOperations.ZeroMemory(pem);
        if (key == 0)
        {
            Check(0, "PEM_read_bio_PrivateKey");
        }

        used = OpenSsl.SSL_CTX_use_PrivateKey(ctx, key);
        OpenSsl.EVP_PKEY_free(key);
        Check(used, "SSL_CTX_use_PrivateKey");
        Check(OpenSsl.SSL_CTX_check_private_key(ctx), "SSL_CTX_check_private_key");
    }

    private static string ExportKeyPem(X509Certificate2 certificate)
    {
        using AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey();
        return key?.ExportPkcs8PrivateKeyPem() ?? throw new CryptographicException("The server key is neither ECDSA nor RSA.");
    }

    private static nint Decode(byte[] der)
    {
        fixed (byte* p = der)
        {
            byte* cursor = p;
            nint x509 = OpenSsl.d2i_X509(0, &cursor, der.Length);
            return x509 != 0 ? x509 : throw new CryptographicException(OpenSsl.TakeError("A certificate could not be decoded."));
        }
    }

    private static void Check(int result, string call)
    {
        if (result != 1)
        {
            throw new CryptographicException(call + " failed: " + OpenSsl.TakeError("no reason given"));
        }
    }

    /// <summary>
    /// Judges the chain a client sent in place of OpenSSL's own verification, by the same policy as the async engine's
    /// <see cref="System.Net.Security.SslStream"/>: built only from what it sent and the configured authorities.
    /// </summary>
    [UnmanagedCallersOnly]
    private static int VerifyClientChain(nint store, nint arg)
    {
        try
        {
            var context = (OpenSslContext)GCHandle.FromIntPtr(arg).Target!;
            using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(OpenSsl.Encode(OpenSsl.X509_STORE_CTX_get0_cert(store)));
            using var chain = new X509Chain { ChainPolicy = context._clientPolicy!.Clone() };
            nint sent = OpenSsl.X509_STORE_CTX_get0_untrusted(store);
            int count = sent == 0 ? 0 : OpenSsl.OPENSSL_sk_num(sent);
            for (int i = 0; i < count; i++)
            {
                chain.ChainPolicy.ExtraStore.Add(X509CertificateLoader.LoadCertificate(OpenSsl.Encode(OpenSsl.OPENSSL_sk_value(sent, i))));
            }

            bool trusted = chain.Build(leaf);
            foreach (X509Certificate2 extra in chain.ChainPolicy.ExtraStore)
            {
                extra.Dispose();
            }

            if (trusted)
            {
                return 1;
            }
        }
        catch (CryptographicException)
        {
            // A certificate that does not decode is as untrusted as one from another authority.
        }

        OpenSsl.X509_STORE_CTX_set_error(store, OpenSsl.VerifyErrorUntrusted);
        return 0;
    }
}
