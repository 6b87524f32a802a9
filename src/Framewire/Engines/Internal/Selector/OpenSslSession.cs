using System.Runtime.InteropServices;
using Framewire.Selectors.Internal;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// One selector connection's TLS when the server drives OpenSSL itself: an <c>SSL</c> over a BIO of our own that
/// reads and sends on the connection's non-blocking socket, so ciphertext is never copied outside OpenSSL's record
/// buffers, and those are freed once the connection has had nothing in flight for a while (<see cref="ReleaseBuffers"/>):
/// an idle connection holds only the session's state. Every call runs on the connection's loop and returns at once;
/// WANT_READ and WANT_WRITE become the loop's interest. Allocated only for TLS connections.
/// </summary>
internal sealed unsafe class OpenSslSession : IDisposable
{
    /// <summary>What a call returns instead of a count.</summary>
    public const int WantRead = -2;
    public const int WantWrite = -3;
    public const int Closed = -4;
    public const int Failed = -1;

    private static readonly nint s_bioMethod = CreateBioMethod();

    private readonly int _fd;
    private readonly byte[]? _prefix;
    private GCHandle _self;
    private nint _ssl;
    private int _prefixRead;
    private bool _eof;

    // Where the ciphertext read so far stands in the record stream: bytes left of the record under way, or of a
    // header begun (as a negative count of header bytes seen), so an end of stream can be told clean or cut short.
    private int _recordLeft;
    private int _headerSeen;
    private byte _headerHigh;

    /// <param name="context">The server's context.</param>
    /// <param name="fd">The connection's non-blocking socket.</param>
    /// <param name="prefix">What came after a PROXY header in the same read: the start of the handshake, read first.</param>
    public OpenSslSession(OpenSslContext context, int fd, byte[]? prefix)
    {
        _fd = fd;
        _prefix = prefix;
        _ssl = context.NewSession();
        nint bio = OpenSsl.BIO_new(s_bioMethod);
        if (bio == 0)
        {
            OpenSsl.SSL_free(_ssl);
            throw new System.Security.Cryptography.CryptographicException(OpenSsl.TakeError("BIO_new failed."));
        }

        _self = GCHandle.Alloc(this);
        OpenSsl.BIO_set_data(bio, GCHandle.ToIntPtr(_self));

        // One BIO both ways; the SSL takes its one reference.
        OpenSsl.SSL_set_bio(_ssl, bio, bio);
    }

    /// <summary>The errno of the last socket call that failed other than by EAGAIN or EINTR; 0 for none.</summary>
    public int Errno { get; private set; }

    /// <summary>Why the last call returned <see cref="Failed"/>, in OpenSSL's or the system's words.</summary>
    public string? Failure { get; private set; }

    public bool CloseNotifySent { get; private set; }

    /// <summary>True when decrypted or read-ahead bytes wait inside OpenSSL: read again without waiting for the socket.</summary>
    public bool HasPending => _ssl != 0 && OpenSsl.SSL_has_pending(_ssl) != 0;

    /// <summary>The protocol version's name as <see cref="System.Security.Authentication.SslProtocols"/> spells it, and the cipher suite's.</summary>
    public (string Protocol, string CipherSuite) Negotiated => (
        OpenSsl.SSL_version(_ssl) switch
        {
            OpenSsl.Tls13Version => "Tls13",
            OpenSsl.Tls12Version => "Tls12",
            int other => "0x" + other.ToString("x4", System.Globalization.CultureInfo.InvariantCulture),
        },
        Marshal.PtrToStringUTF8(OpenSsl.SSL_CIPHER_standard_name(OpenSsl.SSL_get_current_cipher(_ssl))) ?? "unknown");

    /// <summary>Goes on with the handshake: 1 when it is done, else <see cref="WantRead"/>, <see cref="WantWrite"/> or <see cref="Failed"/>.</summary>
    public int Handshake()
    {
        int result = OpenSsl.SSL_do_handshake(_ssl);
        return result == 1 ? 1 : Outcome(result, "the client closed during the handshake");
    }

    /// <summary>Decrypts into <paramref name="buffer"/>: the plaintext count, or <see cref="WantRead"/>, <see cref="WantWrite"/>, <see cref="Closed"/> (end of stream at a record boundary) or <see cref="Failed"/>.</summary>
    public int Read(Span<byte> buffer)
    {
        int result;
        fixed (byte* p = buffer)
        {
            result = OpenSsl.SSL_read(_ssl, p, buffer.Length);
        }

        return result > 0 ? result : Outcome(result, null);
    }

    /// <summary>
    /// Encrypts and sends at most one record of <paramref name="plaintext"/>: the plaintext count it covered, or
    /// <see cref="WantWrite"/> (the socket is full: call again with the same bytes) or <see cref="Failed"/>.
    /// </summary>
    public int Write(ReadOnlySpan<byte> plaintext)
    {
        int result;
        fixed (byte* p = plaintext)
        {
            result = OpenSsl.SSL_write(_ssl, p, plaintext.Length);
        }

        return result > 0 ? result : Outcome(result, null);
    }

    /// <summary>Sends close_notify, once: 1 when it went, <see cref="WantWrite"/> to call again, <see cref="Failed"/> when the session is broken.</summary>
    public int Shutdown()
    {
        int result = OpenSsl.SSL_shutdown(_ssl);
        if (result >= 0)
        {
            // 0: ours is sent, the client's not yet come, which we do not wait for.
            CloseNotifySent = true;
            return 1;
        }

        int outcome = Outcome(result, null);
        if (outcome != WantWrite)
        {
            CloseNotifySent = true;
        }

        return outcome;
    }

    /// <summary>
    /// Frees OpenSSL's read and write buffers (about 34 KB) while the connection has nothing in flight; the next
    /// record takes new ones. False when OpenSSL kept them, as they still hold bytes.
    /// </summary>
    public bool ReleaseBuffers() => _ssl != 0 && OpenSsl.SSL_free_buffers(_ssl) == 1;

    public void Dispose()
    {
        if (_ssl != 0)
        {
            // Frees the BIO with it; nothing calls back after this.
            OpenSsl.SSL_free(_ssl);
            _ssl = 0;
            _self.Free();
        }
    }

    private static nint CreateBioMethod()
    {
        byte* name = (byte*)NativeMemory.Alloc(16);
        "framewire-fd\0"u8.CopyTo(new Span<byte>(name, 16));
        nint method = OpenSsl.BIO_meth_new(OpenSsl.BIO_get_new_index() | OpenSsl.BioTypeSourceSink, name);
        if (method == 0)
        {
            throw new System.Security.Cryptography.CryptographicException(OpenSsl.TakeError("BIO_meth_new failed."));
        }

        // The controls are the socket BIO's own, native: OpenSSL asks about kernel TLS about a dozen times per message,
        // and each call into managed code would cost a transition. They read the BIO's flags, which BioRead keeps as
        // the socket BIO's read would: the end of the stream is BIO_FLAGS_IN_EOF; a flush is nothing to do.
        delegate* unmanaged<nint, int, nint, nint, nint> control = OpenSsl.BIO_meth_get_ctrl(OpenSsl.BIO_s_socket());
        int set = OpenSsl.BIO_meth_set_read(method, &BioRead) & OpenSsl.BIO_meth_set_write(method, &BioWrite)
            & OpenSsl.BIO_meth_set_ctrl(method, control) & OpenSsl.BIO_meth_set_create(method, &BioCreate);
        return set == 1 ? method : throw new System.Security.Cryptography.CryptographicException(OpenSsl.TakeError("BIO_meth_set failed."));
    }

    private static OpenSslSession Of(nint bio) => (OpenSslSession)GCHandle.FromIntPtr(OpenSsl.BIO_get_data(bio)).Target!;

    [UnmanagedCallersOnly]
    private static int BioCreate(nint bio)
    {
        OpenSsl.BIO_set_init(bio, 1);
        return 1;
    }

    [UnmanagedCallersOnly]
    private static int BioRead(nint bio, byte* buffer, int count)
    {
        OpenSsl.BIO_clear_flags(bio, OpenSsl.BioFlagsRetryFlags);
        OpenSslSession session = Of(bio);
        int received;
        if (session._prefix is { } prefix && session._prefixRead < prefix.Length)
        {
            received = Math.Min(count, prefix.Length - session._prefixRead);
            prefix.AsSpan(session._prefixRead, received).CopyTo(new Span<byte>(buffer, received));
            session._prefixRead += received;
        }
        else
        {
            received = (int)LibC.read(session._fd, buffer, (nuint)count);
        }

        if (received > 0)
        {
            session.Track(new ReadOnlySpan<byte>(buffer, received));
            return received;
        }

        if (received == 0)
        {
            session._eof = true;
            OpenSsl.BIO_set_flags(bio, OpenSsl.BioFlagsInEof);
            return 0;
        }

        int errno = SocketCalls.LastError;
        if (errno is SocketCalls.EAGAIN or SocketCalls.EINTR)
        {
            OpenSsl.BIO_set_flags(bio, OpenSsl.BioFlagsRead | OpenSsl.BioFlagsShouldRetry);
        }
        else
        {
            session.Errno = errno;
        }

        return -1;
    }

    [UnmanagedCallersOnly]
    private static int BioWrite(nint bio, byte* buffer, int count)
    {
        OpenSsl.BIO_clear_flags(bio, OpenSsl.BioFlagsRetryFlags);
        int sent = (int)LibC.Send(Of(bio)._fd, buffer, (nuint)count);
        if (sent >= 0)
        {
            return sent;
        }

        int errno = SocketCalls.LastError;
        if (errno is SocketCalls.EAGAIN or SocketCalls.EINTR)
        {
            OpenSsl.BIO_set_flags(bio, OpenSsl.BioFlagsWrite | OpenSsl.BioFlagsShouldRetry);
        }
        else
        {
            Of(bio).Errno = errno;
        }

        return -1;
    }

    /// <summary>Follows the record headers through the ciphertext read, without parsing anything else.</summary>
    private void Track(ReadOnlySpan<byte> received)
    {
        while (!received.IsEmpty)
        {
            if (_recordLeft > 0)
            {
                int skip = Math.Min(_recordLeft, received.Length);
                _recordLeft -= skip;
                received = received[skip..];
                continue;
            }

            // A header is type, version (2 bytes), length (2 bytes, big-endian).
            if (_headerSeen == 3)
            {
                _headerHigh = received[0];
            }
            else if (_headerSeen == 4)
            {
                _recordLeft = (_headerHigh << 8) | received[0];
                _headerSeen = -1;
            }

            _headerSeen++;
            received = received[1..];
        }
    }

    private bool AtRecordBoundary => _recordLeft == 0 && _headerSeen == 0;

    private int Outcome(int result, string? endOfStream)
    {
        int error = OpenSsl.SSL_get_error(_ssl, result);
        switch (error)
        {
            case OpenSsl.ErrorWantRead:
                return WantRead;
            case OpenSsl.ErrorWantWrite:
                return WantWrite;
            case OpenSsl.ErrorZeroReturn:
                // close_notify, or the end of the stream (OptionIgnoreUnexpectedEof), which is a close between
                // records and a truncation anywhere else.
                OpenSsl.ERR_clear_error();
                if (_eof && (endOfStream is not null || !AtRecordBoundary))
                {
                    Failure = endOfStream ?? "the connection ended inside a record";
                    return Failed;
                }

                return Closed;
        }

        if (Errno != 0)
        {
            OpenSsl.ERR_clear_error();
            Failure = $"The socket failed: {Marshal.GetPInvokeErrorMessage(Errno)} (errno {Errno}).";
            return Failed;
        }

        Failure = OpenSsl.TakeError(_eof ? endOfStream ?? "the connection ended inside a record" : "the TLS session failed");
        return Failed;
    }
}
