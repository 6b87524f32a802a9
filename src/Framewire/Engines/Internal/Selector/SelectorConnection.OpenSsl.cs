using Framewire.Engines.Internal.Connections;
using Framewire.Selectors;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// The selector connection over TLS when the server drives OpenSSL itself (<see cref="OpenSslSession"/>): the
/// connection reads and sends as on a plain socket, only through <c>SSL_read</c> and <c>SSL_write</c>, whose BIO
/// makes the same system calls. A readable socket costs one recv for every record queued (read-ahead), and records
/// OpenSSL read ahead are taken before waiting again. Once nothing has been in flight for a while, OpenSSL's record
/// buffers go back.
/// </summary>
internal sealed partial class SelectorConnection
{
    private void StartSsl(OpenSslContext context, byte[]? prefix)
    {
        try
        {
            RareState.Ssl = new OpenSslSession(context, _fd, prefix);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            Close(new ConnectionClose(CloseReason.HandshakeFailed, "TLS handshake failed: " + e.Message));
            return;
        }

        ContinueHandshake();
    }

    private void ContinueHandshake()
    {
        OpenSslSession ssl = SslSession!;
        switch (ssl.Handshake())
        {
            case 1:
                OnSslHandshakeDone(ssl);
                break;
            case OpenSslSession.WantRead:
                Watch(SelectorEvents.Read);
                break;
            case OpenSslSession.WantWrite:
                Watch(SelectorEvents.Write);
                break;
            default:
                Close(new ConnectionClose(CloseReason.HandshakeFailed, "TLS handshake failed: " + (ssl.Failure ?? "the client closed")));
                break;
        }
    }

    private void OnSslHandshakeDone(OpenSslSession ssl)
    {
        if (_services.Log.IsEnabled(LogLevel.Debug))
        {
            (string protocol, string cipherSuite) = ssl.Negotiated;
            ServerLog.TlsEstablished(_services.Log, _info.Id, protocol, cipherSuite);
        }

        if (!StartApplicationAfterHandshake())
        {
            return;
        }

        Watch(SelectorEvents.Read);

        // The first request often comes with the client's Finished, already read ahead.
        if (ssl.HasPending)
        {
            ReceiveSsl();
        }
        else
        {
            HoldSslBuffers();
        }
    }

    /// <summary>
    /// Reads and processes what the socket has, as <see cref="Receive"/> does on a plain socket, then what OpenSSL
    /// read ahead beyond it, unless the application is held back. SSL_read gives one record at a time: the records
    /// already read go to one <see cref="Process"/>, as one recv does in plain mode, so that their answers leave in
    /// one send. Read once more only when OpenSSL holds bytes, so a message costs one recv, not a second that finds
    /// nothing.
    /// </summary>
    private void ReceiveSsl()
    {
        OpenSslSession ssl = SslSession!;
        do
        {
            int received = 0;
            int outcome;
            while (true)
            {
                EnsureInputRoom();
                outcome = ssl.Read(_input.AsSpan(_inputEnd));
                if (outcome <= 0)
                {
                    break;
                }

                _inputEnd += outcome;
                received += outcome;
                if (!ssl.HasPending || received >= ReadSize)
                {
                    break;
                }
            }

            if (received > 0)
            {
                // Counted as decrypted, as the async engine counts: the rates and the figures are the application's bytes.
                OnReceived(received);
                Process();
            }

            switch (outcome)
            {
                case > 0:
                    break;
                case OpenSslSession.WantRead or OpenSslSession.WantWrite:
                    // A record still coming; or OpenSSL has a reply of its own to send, which goes with the next call.
                    if (_state == State.Open)
                    {
                        ReleaseInputIfEmpty();
                        HoldSslBuffers();
                    }

                    return;
                case OpenSslSession.Closed:
                    // Work pending or a close under way: the end is seen again, the session remembers it.
                    if (_state == State.Open)
                    {
                        _peerGone = !IsShuttingDown;
                        EndOfInput();
                    }

                    return;
                default:
                    // A broken record, a truncation or a reset: nothing the peer sends can be trusted, and it may not read either.
                    _peerGone = true;
                    Close(new ConnectionClose(CloseReason.ReceiveFailed, "TLS: " + ssl.Failure));
                    return;
            }
        }
        while (_state == State.Open && !_paused && ssl.HasPending);
    }

    /// <summary>After the application went on without a read: takes the records OpenSSL read ahead, which no readiness reports.</summary>
    private void ReceiveSslReadAhead()
    {
        if (SslSession is { HasPending: true } && _state == State.Open && !_paused && _application is not null)
        {
            ReceiveSsl();
        }
    }

    /// <summary>
    /// Encrypts and sends the output a record at a time; true when all of it went. A record counts as sent once the
    /// socket took all of it, so the limits see plaintext as on a plain socket; one the socket took only in part is
    /// finished by the next call, with the same plaintext.
    /// </summary>
    private bool SendSsl()
    {
        OpenSslSession ssl = SslSession!;
        while (PendingOutput > 0 && _application is not null)
        {
            int written = ssl.Write(OutputBuffer!.WrittenSpan.Slice(_outputSent, Math.Min(PendingOutput, EncryptSize)));
            if (written > 0)
            {
                _outputSent += written;
                _info.Stats.AddBytesSent(written);
                continue;
            }

            if (written == OpenSslSession.WantWrite || ssl.Errno != 0)
            {
                // The socket buffer is full, or the send failed: as on a plain socket.
                SendWouldWait(written == OpenSslSession.WantWrite ? SocketCalls.EAGAIN : ssl.Errno);
                return false;
            }

            _peerGone = true;
            Close(new ConnectionClose(CloseReason.SendFailed, "TLS: " + ssl.Failure));
            return false;
        }

        return true;
    }

    /// <summary>
    /// The connection's TLS has gone quiet for now: its record buffers stay for the next message, and go back once it
    /// has stayed quiet through one of the loop's release turns (<see cref="EventLoop.HoldTlsBuffers"/>). Freeing
    /// them after every message and taking new ones for the next would cost two allocations of 17 KB per message.
    /// </summary>
    private void HoldSslBuffers()
    {
        if (SslSession is null)
        {
            return;
        }

        Rare rare = _rare!;
        rare.SslBuffersUsed = true;
        if (!rare.SslBuffersHeld)
        {
            rare.SslBuffersHeld = true;
            _loop.HoldTlsBuffers(this);
        }
    }

    /// <summary>
    /// The loop's release turn: frees the record buffers of a connection that has stayed quiet since the last turn
    /// and has nothing in flight; false once they are freed or the connection is closed, when the loop forgets it.
    /// </summary>
    internal bool KeepsTlsBuffers()
    {
        Rare rare = _rare!;
        if (_state == State.Closed)
        {
            rare.SslBuffersHeld = false;
            return false;
        }

        if (rare.SslBuffersUsed)
        {
            rare.SslBuffersUsed = false;
            return true;
        }

        // Busy (pending work owns the output, or output or records wait): the buffers still hold bytes.
        if (_state != State.Open || PendingOutput > 0 || rare.Ssl!.HasPending || !rare.Ssl.ReleaseBuffers())
        {
            return true;
        }

        rare.SslBuffersHeld = false;
        return false;
    }

    /// <summary>
    /// Sends close_notify once, so the client can tell our close from a truncation; false when the socket is full and
    /// the connection now waits for writability to try again.
    /// </summary>
    private bool SendSslCloseNotify()
    {
        OpenSslSession ssl = SslSession!;
        if (ssl.CloseNotifySent || _application is null || ssl.Shutdown() != OpenSslSession.WantWrite)
        {
            return true;
        }

        Watch(SelectorEvents.Write);
        return false;
    }
}
