using System.Runtime.InteropServices;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// The OpenSSL 3 calls the selector engine's TLS makes, on the same <c>libssl.so.3</c> and <c>libcrypto.so.3</c>
/// the runtime loads for <see cref="System.Net.Security.SslStream"/> on Linux. Macros of <c>ssl.h</c> are spelled as
/// the <c>SSL_CTX_ctrl</c> and <c>SSL_ctrl</c> calls they expand to. The calls that can reach the BIO callbacks
/// (handshake, read, write, shutdown) keep the GC transition: managed code runs inside them.
/// </summary>
internal static unsafe partial class OpenSsl
{
    public const string Ssl = "libssl.so.3";
    public const string Crypto = "libcrypto.so.3";

    public const int ErrorNone = 0;
    public const int ErrorSsl = 1;
    public const int ErrorWantRead = 2;
    public const int ErrorWantWrite = 3;
    public const int ErrorSyscall = 5;
    public const int ErrorZeroReturn = 6;

    public const int Tls12Version = 0x0303;
    public const int Tls13Version = 0x0304;

    public const ulong OptionIgnoreUnexpectedEof = 1UL << 7;
    public const ulong OptionNoTicket = 1UL << 14;
    public const ulong OptionNoCompression = 1UL << 17;
    public const ulong OptionCipherServerPreference = 1UL << 22;
    public const ulong OptionNoRenegotiation = 1UL << 30;

    public const long ModeEnablePartialWrite = 0x1;
    public const long ModeAcceptMovingWriteBuffer = 0x2;

    public const int VerifyPeer = 0x1;
    public const int VerifyFailIfNoPeerCertificate = 0x2;

    public const int CtrlMode = 33;
    public const int CtrlSetReadAhead = 41;
    public const int CtrlSetSessionCacheMode = 44;
    public const int CtrlChainCertificate = 89;
    public const int CtrlSetMinProtocolVersion = 123;

    public const int BioTypeSourceSink = 0x0400;
    public const int BioFlagsRead = 0x01;
    public const int BioFlagsWrite = 0x02;
    public const int BioFlagsRetryFlags = 0x0f;
    public const int BioFlagsShouldRetry = 0x08;
    public const int BioFlagsInEof = 0x800;

    // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: the client's chain leads to no authority we trust (unknown_ca alert).
    public const int VerifyErrorUntrusted = 20;

    [LibraryImport(Ssl)]
    public static partial nint TLS_server_method();

    [LibraryImport(Ssl)]
    public static partial nint SSL_CTX_new(nint method);

    [LibraryImport(Ssl)]
    public static partial void SSL_CTX_free(nint ctx);

    [LibraryImport(Ssl)]
    public static partial ulong SSL_CTX_set_options(nint ctx, ulong options);

    [LibraryImport(Ssl)]
    public static partial nint SSL_CTX_ctrl(nint ctx, int cmd, nint larg, nint parg);

    [LibraryImport(Ssl)]
    public static partial int SSL_CTX_set_num_tickets(nint ctx, nuint count);

    [LibraryImport(Ssl)]
    public static partial int SSL_CTX_use_certificate(nint ctx, nint x509);

    [LibraryImport(Ssl)]
    public static partial int SSL_CTX_use_PrivateKey(nint ctx, nint key);

    [LibraryImport(Ssl)]
    public static partial int SSL_CTX_check_private_key(nint ctx);

    [LibraryImport(Ssl)]
    public static partial int SSL_CTX_add_client_CA(nint ctx, nint x509);

    [LibraryImport(Ssl)]
    public static partial void SSL_CTX_set_verify(nint ctx, int mode, nint callback);

    [LibraryImport(Ssl)]
    public static partial void SSL_CTX_set_cert_verify_callback(nint ctx, delegate* unmanaged<nint, nint, int> callback, nint arg);

    [LibraryImport(Ssl)]
    public static partial nint SSL_new(nint ctx);

    [LibraryImport(Ssl)]
    public static partial void SSL_free(nint ssl);

    [LibraryImport(Ssl)]
    public static partial void SSL_set_bio(nint ssl, nint rbio, nint wbio);

    [LibraryImport(Ssl)]
    public static partial void SSL_set_accept_state(nint ssl);

    [LibraryImport(Ssl)]
    public static partial int SSL_do_handshake(nint ssl);

    [LibraryImport(Ssl)]
    public static partial int SSL_read(nint ssl, byte* buffer, int count);

    [LibraryImport(Ssl)]
    public static partial int SSL_write(nint ssl, byte* buffer, int count);

    [LibraryImport(Ssl)]
    public static partial int SSL_shutdown(nint ssl);

    [LibraryImport(Ssl)]
    [SuppressGCTransition]
    public static partial int SSL_get_error(nint ssl, int result);

    [LibraryImport(Ssl)]
    [SuppressGCTransition]
    public static partial int SSL_has_pending(nint ssl);

    [LibraryImport(Ssl)]
    public static partial int SSL_free_buffers(nint ssl);

    [LibraryImport(Ssl)]
    public static partial int SSL_version(nint ssl);

    [LibraryImport(Ssl)]
    public static partial nint SSL_get_current_cipher(nint ssl);

    [LibraryImport(Ssl)]
    public static partial nint SSL_CIPHER_standard_name(nint cipher);

    [LibraryImport(Crypto)]
    public static partial nuint OpenSSL_version_num();

    [LibraryImport(Crypto)]
    public static partial int BIO_get_new_index();

    [LibraryImport(Crypto)]
    public static partial nint BIO_meth_new(int type, byte* name);

    [LibraryImport(Crypto)]
    public static partial int BIO_meth_set_write(nint method, delegate* unmanaged<nint, byte*, int, int> write);

    [LibraryImport(Crypto)]
    public static partial int BIO_meth_set_read(nint method, delegate* unmanaged<nint, byte*, int, int> read);

    [LibraryImport(Crypto)]
    public static partial int BIO_meth_set_ctrl(nint method, delegate* unmanaged<nint, int, nint, nint, nint> ctrl);

    [LibraryImport(Crypto)]
    public static partial nint BIO_s_socket();

    [LibraryImport(Crypto)]
    public static partial delegate* unmanaged<nint, int, nint, nint, nint> BIO_meth_get_ctrl(nint method);

    [LibraryImport(Crypto)]
    public static partial int BIO_meth_set_create(nint method, delegate* unmanaged<nint, int> create);

    [LibraryImport(Crypto)]
    public static partial nint BIO_new(nint method);

    [LibraryImport(Crypto)]
    public static partial nint BIO_new_mem_buf(byte* buffer, int length);

    [LibraryImport(Crypto)]
    public static partial void BIO_free(nint bio);

    [LibraryImport(Crypto)]
    [SuppressGCTransition]
    public static partial nint BIO_get_data(nint bio);

    [LibraryImport(Crypto)]
    public static partial void BIO_set_data(nint bio, nint data);

    [LibraryImport(Crypto)]
    public static partial void BIO_set_init(nint bio, int init);

    [LibraryImport(Crypto)]
    [SuppressGCTransition]
    public static partial void BIO_set_flags(nint bio, int flags);

    [LibraryImport(Crypto)]
    [SuppressGCTransition]
    public static partial void BIO_clear_flags(nint bio, int flags);

    [LibraryImport(Crypto)]
    public static partial nint d2i_X509(nint reuse, byte** input, nint length);

    [LibraryImport(Crypto)]
    public static partial int i2d_X509(nint x509, byte** output);

    [LibraryImport(Crypto)]
    public static partial void X509_free(nint x509);

    [LibraryImport(Crypto)]
    public static partial nint PEM_read_bio_PrivateKey(nint bio, nint reuse, nint callback, nint password);

    [LibraryImport(Crypto)]
    public static partial void EVP_PKEY_free(nint key);

    [LibraryImport(Crypto)]
    public static partial nint X509_STORE_CTX_get0_cert(nint ctx);

    [LibraryImport(Crypto)]
    public static partial nint X509_STORE_CTX_get0_untrusted(nint ctx);

    [LibraryImport(Crypto)]
    public static partial void X509_STORE_CTX_set_error(nint ctx, int error);

    [LibraryImport(Crypto)]
    public static partial int OPENSSL_sk_num(nint stack);

    [LibraryImport(Crypto)]
    public static partial nint OPENSSL_sk_value(nint stack, int index);

    [LibraryImport(Crypto)]
    public static partial void CRYPTO_free(nint pointer, byte* file, int line);

    [LibraryImport(Crypto)]
    public static partial nuint ERR_get_error();

    [LibraryImport(Crypto)]
    public static partial void ERR_clear_error();

    [LibraryImport(Crypto)]
    public static partial nint ERR_reason_error_string(nuint error);

    /// <summary>
    /// The first error on this thread's queue, in OpenSSL's words, and an empty queue after it: every call whose
    /// failure is inspected must start with none left over.
    /// </summary>
    public static string TakeError(string fallback)
    {
        nuint error = ERR_get_error();
        ERR_clear_error();
        return error == 0 ? fallback : Marshal.PtrToStringUTF8(ERR_reason_error_string(error)) ?? $"error {error:x}";
    }

    /// <summary>A certificate's DER encoding, as OpenSSL holds it.</summary>
    public static byte[] Encode(nint x509)
    {
        byte* der = null;
        int length = i2d_X509(x509, &der);
        if (length <= 0)
        {
            throw new System.Security.Cryptography.CryptographicException(TakeError("A certificate could not be encoded."));
        }

        try
        {
            return new ReadOnlySpan<byte>(der, length).ToArray();
        }
        finally
        {
            CRYPTO_free((nint)der, null, 0);
        }
    }
}
