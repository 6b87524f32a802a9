using System.Net.Security;
using System.Security.Authentication;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Framewire.Engines.Internal.Connections;
using Framewire.Internal;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// A selector connection's TLS: an <see cref="SslStream"/> over the connection's own socket, run entirely on its
/// loop. This class is the stream beneath the <see cref="SslStream"/>: a read takes what the non-blocking socket
/// has at once, or waits for the loop to see the socket readable and is completed from <see cref="OnReadable"/>;
/// a write appends the ciphertext to <see cref="Ciphertext"/>, which the connection sends as it sends plain output.
/// Nothing blocks and nothing leaves the loop thread: the <see cref="SslStream"/>'s awaits resume inline when the
/// loop completes them. <c>framewire bench</c>'s selector driver runs its connections' TLS on it too.
/// </summary>
internal sealed class LoopTls : UnseekableStream, IValueTaskSource<int>
{
    private readonly int _fd;

    // Continuations run inline: the loop completes a read, and the SslStream goes on decrypting on the same thread.
    private ManualResetValueTaskSourceCore<int> _read;
    private Memory<byte> _readInto;

    /// <param name="fd">The connection's non-blocking socket.</param>
    /// <param name="prefix">What came after a PROXY header in the same read: the start of the TLS handshake, read first.</param>
    public LoopTls(int fd, byte[]? prefix)
    {
        _fd = fd;
        Ssl = new SslStream(prefix is null ? this : new PrefixedStream(prefix, this), leaveInnerStreamOpen: true);
    }

    public SslStream Ssl { get; }

    /// <summary>Encrypted output the socket has yet to take, from <see cref="CiphertextSent"/> on.</summary>
    public PooledBufferWriter Ciphertext { get; } = new();

    public int CiphertextSent { get; set; }

    public int UnsentCiphertext => Ciphertext.WrittenCount - CiphertextSent;

    /// <summary>Plaintext bytes whose ciphertext is in <see cref="Ciphertext"/>: counted as sent once it all is.</summary>
    public int PlaintextInFlight { get; set; }

    /// <summary>True while the <see cref="SslStream"/> waits for the socket: the loop must watch it for reading.</summary>
    public bool IsReadPending { get; private set; }

    /// <summary>The connection's own wish, as it would set it on a plain socket; reading is done through <see cref="Ssl"/>.</summary>
    public Selectors.SelectorEvents Requested { get; set; } = Selectors.SelectorEvents.Read;

    /// <summary>The handshake, once started.</summary>
    public Task? Handshake { get; set; }

    /// <summary>A plaintext read of <see cref="Ssl"/> under way; <see cref="PendingIsWait"/> when it asked for no bytes.</summary>
    public ValueTask<int> Pending { get; set; }

    public bool IsReading { get; set; }

    public bool PendingIsWait { get; set; }

    public bool CloseNotifySent { get; set; }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    /// <summary>How an <see cref="SslStream"/> call fails on a broken session: a bad record, a truncation, a reset, a disposed stream.</summary>
    public static bool IsFailure(Exception e) => e is IOException or AuthenticationException or InvalidOperationException or NotSupportedException;

    /// <summary>
    /// Sends the ciphertext the socket has yet to take and, once all of it went, empties the buffer for the next.
    /// Returns 0 then, else the errno that stopped it (EAGAIN: the socket buffer is full).
    /// </summary>
    public int SendCiphertext()
    {
        while (UnsentCiphertext > 0)
        {
            int sent = SocketCalls.Send(_fd, Ciphertext.WrittenSpan[CiphertextSent..]);
            if (sent > 0)
            {
                CiphertextSent += sent;
                continue;
            }

            int errno = SocketCalls.LastError;
            if (errno != SocketCalls.EINTR)
            {
                return errno;
            }
        }

        Ciphertext.Clear();
        CiphertextSent = 0;
        return 0;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            // The SslStream only asks whether bytes have come; the loop's readiness says so without a system call.
            return Wait(buffer);
        }

        int received = SocketCalls.Read(_fd, buffer.Span);
        if (received >= 0)
        {
            return new ValueTask<int>(received);
        }

        int errno = SocketCalls.LastError;
        return errno is SocketCalls.EAGAIN or SocketCalls.EINTR
            ? Wait(buffer)
            : ValueTask.FromException<int>(Failure(errno));
    }

    /// <summary>The loop saw the socket readable while a read waits: reads into it and resumes the <see cref="SslStream"/>.</summary>
    public void OnReadable()
    {
        Memory<byte> buffer = _readInto;
        if (buffer.IsEmpty)
        {
            Complete(0);
            return;
        }

        int received = SocketCalls.Read(_fd, buffer.Span);
        if (received >= 0)
        {
            Complete(received);
            return;
        }

        int errno = SocketCalls.LastError;
        if (errno is not (SocketCalls.EAGAIN or SocketCalls.EINTR))
        {
            IsReadPending = false;
            _readInto = default;
            _read.SetException(Failure(errno));
        }
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        buffer.CopyTo(Ciphertext.GetSpan(buffer.Length));
        Ciphertext.Advance(buffer.Length);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
        // The connection sends the ciphertext when the SslStream call that wrote it has returned.
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("A loop connection's TLS reads asynchronously only.");

    int IValueTaskSource<int>.GetResult(short token) => _read.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _read.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // A read left waiting is never completed: the connection is closed, and its SslStream with it.
            IsReadPending = false;
            _readInto = default;
            Ciphertext.Release();
            Ssl.Dispose();
        }

        base.Dispose(disposing);
    }

    private static IOException Failure(int errno) => new($"The socket failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");

    private ValueTask<int> Wait(Memory<byte> buffer)
    {
        _read.Reset();
        _readInto = buffer;
        IsReadPending = true;
        return new ValueTask<int>(this, _read.Version);
    }

    private void Complete(int received)
    {
        IsReadPending = false;
        _readInto = default;
        _read.SetResult(received);
    }
}
