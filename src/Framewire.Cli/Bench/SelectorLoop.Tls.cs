using System.Diagnostics;
using System.Runtime.InteropServices;
using Framewire.Engines.Internal.Selector;
using Framewire.Selectors;

namespace Framewire.Cli.Bench;

/// <summary>
/// The loop's connections over TLS. Each open connection keeps one plaintext read of its SslStream under way, into
/// its receive buffer; the read waits in <see cref="LoopTls"/> until the socket is readable, and when the loop
/// completes it the SslStream decrypts and <see cref="OnTlsRead"/> takes the answers on the same thread, as
/// <see cref="Receive"/> takes a recv's. Requests are encrypted into the session's ciphertext buffer and sent from it.
/// </summary>
internal sealed partial class SelectorLoop
{
    // Plaintext encrypted at a time: whole records (16 KiB each), and a bound on the ciphertext a connection holds
    // however large its batch (depth × --binary).
    private const int EncryptSize = 64 * 1024;

    /// <summary>True while <paramref name="tls"/> is still the open connection's session: a failure on the way may have replaced it.</summary>
    private static bool IsCurrent(SelectorConnection connection, LoopTls tls) =>
        connection.State == SelectorConnectionState.Open && connection.Tls == tls;

    private void AdvanceHandshake(SelectorConnection connection, SelectorEvents ready)
    {
        if (SelectorTls.Advance(connection, ready) is { } failure)
        {
            Fail(connection, ErrorKind.Connect, "connect failed: " + failure, Stopwatch.GetTimestamp());
            return;
        }

        LoopTls tls = connection.Tls!;
        if (!SelectorTls.IsEstablished(tls))
        {
            _selector!.Modify(connection.Registered!, SelectorTls.Waiting(tls));
            return;
        }

        _selector!.Modify(connection.Registered!, SelectorEvents.Read);
        Start(connection, Stopwatch.GetTimestamp());
    }

    /// <summary>Takes what the SslStream has decrypted until a read has to wait for the socket.</summary>
    private void ReadTls(SelectorConnection connection)
    {
        LoopTls tls = connection.Tls!;
        while (IsCurrent(connection, tls) && !tls.IsReading)
        {
            ValueTask<int> read;
            try
            {
                read = tls.Ssl.ReadAsync(connection.Connection.ReceiveBuffer);
            }
            catch (Exception e) when (LoopTls.IsFailure(e))
            {
                Fail(connection, ErrorKind.Reset, "TLS: " + e.Message, Stopwatch.GetTimestamp());
                return;
            }

            if (!read.IsCompleted)
            {
                tls.Pending = read;
                tls.IsReading = true;
                read.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(connection.OnTlsRead ??= TlsReadContinuation(connection));
                return;
            }

            TakeTlsRead(connection, read);
        }
    }

    // A method of its own: a lambda in ReadTls would make ReadTls allocate its closure on every call.
    private Action TlsReadContinuation(SelectorConnection connection) => () => OnTlsRead(connection);

    /// <summary>A read that waited has completed, inline in <see cref="LoopTls.OnReadable"/>: takes it and reads on.</summary>
    private void OnTlsRead(SelectorConnection connection)
    {
        LoopTls tls = connection.Tls!;
        ValueTask<int> read = tls.Pending;
        tls.Pending = default;
        tls.IsReading = false;
        TakeTlsRead(connection, read);
        ReadTls(connection);
    }

    private void TakeTlsRead(SelectorConnection connection, ValueTask<int> read)
    {
        int received;
        try
        {
            received = read.GetAwaiter().GetResult();
        }
        catch (Exception e) when (LoopTls.IsFailure(e))
        {
            Fail(connection, ErrorKind.Reset, "TLS: " + e.Message, Stopwatch.GetTimestamp());
            return;
        }

        Received(connection, received, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// Sends the ciphertext still waiting, then encrypts and sends <paramref name="plaintext"/> slice by slice; what
    /// the socket cannot take yet waits, the rest of the plaintext in <see cref="SelectorConnection.Unsent"/>.
    /// </summary>
    private void SendTls(SelectorConnection connection, ReadOnlyMemory<byte> plaintext, long now)
    {
        LoopTls tls = connection.Tls!;
        while (true)
        {
            int errno = tls.SendCiphertext();
            if (errno == SocketCalls.EAGAIN)
            {
                connection.Unsent = plaintext;
                _selector!.Modify(connection.Registered!, SelectorEvents.Read | SelectorEvents.Write);
                return;
            }

            if (errno != 0)
            {
                Fail(connection, ErrorKind.Reset, Marshal.GetPInvokeErrorMessage(errno), now);
                return;
            }

            if (plaintext.IsEmpty)
            {
                return;
            }

            int slice = Math.Min(plaintext.Length, EncryptSize);
            try
            {
                // The stream beneath takes the ciphertext at once, so the write completes before it returns.
                MemoryMarshal.TryGetArray(plaintext[..slice], out ArraySegment<byte> segment);
                tls.Ssl.Write(segment.Array!, segment.Offset, segment.Count);
            }
            catch (Exception e) when (LoopTls.IsFailure(e))
            {
                Fail(connection, ErrorKind.Reset, "TLS: " + e.Message, now);
                return;
            }

            plaintext = plaintext[slice..];
        }
    }
}
