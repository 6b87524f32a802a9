using System.Runtime.InteropServices;
using Framewire.Engines.Internal.Connections;
using Framewire.Selectors;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// The selector connection over TLS: the handshake and every record run on the loop, through <see cref="LoopTls"/>.
/// Reading is the SslStream's: whenever the connection would read a plain socket, it keeps one plaintext read of
/// the SslStream under way instead, and the loop watches the socket only while that read waits for it. Output is
/// encrypted as it is sent, so that the send limit and the read-ahead limits count plaintext, as on the async engine.
/// </summary>
internal sealed partial class SelectorConnection
{
    // Plaintext encrypted at a time: large enough for full records, small enough that a client reading slowly but
    // steadily shows progress in the bytes sent, which the sweep measures.
    private const int EncryptSize = 64 * 1024;

    private void StartTls(byte[]? prefix)
    {
        if (_loop.Tls is { } context)
        {
            StartSsl(context, prefix);
            return;
        }

        var tls = new LoopTls(_fd, prefix);
        RareState.Tls = tls;
        try
        {
            tls.Handshake = tls.Ssl.AuthenticateAsServerAsync(_services.Tls!, CancellationToken.None);
        }
        catch (Exception e) when (LoopTls.IsFailure(e))
        {
            Close(new ConnectionClose(CloseReason.HandshakeFailed, "TLS handshake failed: " + e.Message));
            return;
        }

        // Completion may come inline, from deep in a read; the loop takes it up at its next turn, once per connection.
        tls.Handshake.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => _loop.Post(OnHandshakeDone));
        AfterTlsCall();
    }

    private void OnHandshakeDone()
    {
        LoopTls tls = TlsStream!;
        if (_state != State.Open || _application is not null)
        {
            return;
        }

        if (tls.Handshake!.Exception is { } failure)
        {
            // The alert that tells the client why, if the socket takes it now.
            SendTls();
            if (_state == State.Open)
            {
                Exception reason = failure.InnerException ?? failure;
                Close(new ConnectionClose(CloseReason.HandshakeFailed, "TLS handshake failed: " + reason.Message));
            }

            return;
        }

        if (_services.Log.IsEnabled(LogLevel.Debug))
        {
            ServerLog.TlsEstablished(_services.Log, _info.Id, tls.Ssl.SslProtocol.ToString(), tls.Ssl.NegotiatedCipherSuite.ToString());
        }

        if (StartApplicationAfterHandshake())
        {
            PumpTls();
        }
    }

    /// <summary>The handshake is done, on either TLS path: the application starts; false when the server is stopping.</summary>
    private bool StartApplicationAfterHandshake()
    {
        // A slow handshake is the handshake timeout's business; idleness counts from here.
        Restart();
        _application = _services.CreateApplication(_info);
        _info.Stats.SetState(ConnectionState.Idle);
        if (IsShuttingDown)
        {
            Close(new ConnectionClose(CloseReason.ServerShutdown));
            return false;
        }

        return true;
    }

    private void OnTlsReady(SelectorEvents events)
    {
        if ((events & SelectorEvents.Write) != 0 && Flush() && _paused)
        {
            Process();
        }

        if ((events & SelectorEvents.Read) != 0 && _state == State.Open && TlsStream!.IsReadPending)
        {
            // Resumes the SslStream inline: it decrypts, and a plaintext read it completes is taken up at once.
            TlsStream.OnReadable();
        }

        PumpTls();
    }

    /// <summary>
    /// Keeps a plaintext read under way while the connection takes input: takes what the SslStream has decrypted
    /// and processes it, until a read has to wait for the socket. An idle connection's read asks for no bytes, so that
    /// it holds no buffer.
    /// </summary>
    private void PumpTls()
    {
        LoopTls tls = TlsStream!;
        while (!tls.IsReading && _state == State.Open && _application is not null
            && (tls.Requested & SelectorEvents.Read) != 0 && !_paused)
        {
            // The SslStream reports its failures through the read it returns, which TakeTlsRead observes.
            bool wait = _input is null;
            if (!wait)
            {
                EnsureInputRoom();
            }

            ValueTask<int> read = tls.Ssl.ReadAsync(wait ? Memory<byte>.Empty : _input.AsMemory(_inputEnd));

            if (!read.IsCompleted)
            {
                tls.Pending = read;
                tls.PendingIsWait = wait;
                tls.IsReading = true;
                read.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(RareState.OnTlsRead ??= OnTlsRead);
                break;
            }

            if (!TakeTlsRead(read, wait))
            {
                return;
            }
        }

        AfterTlsCall();
    }

    private void OnTlsRead()
    {
        LoopTls tls = TlsStream!;
        ValueTask<int> read = tls.Pending;
        tls.Pending = default;
        tls.IsReading = false;
        if (_state == State.Closed)
        {
            return;
        }

        if (TakeTlsRead(read, tls.PendingIsWait))
        {
            PumpTls();
        }
    }

    /// <summary>Takes a completed plaintext read: processes what it gave; false when the connection ends with it.</summary>
    private bool TakeTlsRead(ValueTask<int> read, bool wait)
    {
        int received;
        try
        {
            received = read.GetAwaiter().GetResult();
        }
        catch (Exception e) when (LoopTls.IsFailure(e))
        {
            TlsReceiveFailed(e);
            return false;
        }

        if (_state != State.Open)
        {
            return false;
        }

        if (wait)
        {
            // Bytes have come (or the end): read them into a buffer taken only now.
            EnsureInputRoom();
            return true;
        }

        if (received == 0)
        {
            _peerGone = !IsShuttingDown;
            EndOfInput();
            return false;
        }

        // Counted as decrypted, as the async engine counts: the rates and the figures are the application's bytes.
        _inputEnd += received;
        OnReceived(received);
        Process();
        return true;
    }

    private void TlsReceiveFailed(Exception e)
    {
        // A broken record, a truncation or a reset: nothing the peer sends can be trusted, and it may not read either.
        _peerGone = true;
        Close(new ConnectionClose(CloseReason.ReceiveFailed, "TLS: " + e.Message));
    }

    /// <summary>
    /// Encrypts the output in slices and sends the ciphertext; true when all of it went. Plaintext counts as sent
    /// once its ciphertext has gone, so the limits see the same figures as on a plain socket.
    /// </summary>
    private bool SendTls()
    {
        LoopTls tls = TlsStream!;
        while (true)
        {
            if (tls.UnsentCiphertext > 0)
            {
                if (tls.SendCiphertext() is int errno and not 0)
                {
                    SendWouldWait(errno);
                    return false;
                }

                _info.Stats.AddBytesSent(tls.PlaintextInFlight);
                tls.PlaintextInFlight = 0;
                continue;
            }

            if (PendingOutput == 0 || _application is null)
            {
                return true;
            }

            int slice = Math.Min(PendingOutput, EncryptSize);
            try
            {
                // The stream beneath takes the ciphertext at once, so the write completes before it returns.
                MemoryMarshal.TryGetArray(OutputBuffer!.WrittenMemory, out ArraySegment<byte> written);
                tls.Ssl.Write(written.Array!, written.Offset + _outputSent, slice);
            }
            catch (Exception e) when (LoopTls.IsFailure(e))
            {
                _peerGone = true;
                Close(new ConnectionClose(CloseReason.SendFailed, "TLS: " + e.Message));
                return false;
            }

            _outputSent += slice;
            tls.PlaintextInFlight = slice;
        }
    }

    /// <summary>Writes close_notify once, so the client can tell our close from a truncation; true when there is one to send.</summary>
    private bool SendCloseNotify()
    {
        LoopTls tls = TlsStream!;
        if (tls.CloseNotifySent || _application is null)
        {
            return false;
        }

        tls.CloseNotifySent = true;
        try
        {
            tls.Ssl.ShutdownAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (LoopTls.IsFailure(e))
        {
            // The session is already broken: the FIN alone ends it.
            return false;
        }

        return tls.UnsentCiphertext > 0;
    }

    /// <summary>
    /// After a call into the SslStream on an open connection: sends what it wrote, then watches the socket for
    /// writability as the connection asked, and for readability only while the SslStream waits for it.
    /// </summary>
    private void AfterTlsCall()
    {
        LoopTls tls = TlsStream!;
        if (_state == State.Open && tls.UnsentCiphertext > 0 && (tls.Requested & SelectorEvents.Write) == 0)
        {
            // Handshake messages, session tickets: output no flush has tried yet (one that waits for writability has).
            Flush();
        }

        if (_state == State.Open)
        {
            SelectorEvents events = tls.Requested & SelectorEvents.Write;
            Watch(tls.IsReadPending ? events | SelectorEvents.Read : events);
        }
    }
}
