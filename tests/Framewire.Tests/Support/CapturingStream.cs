using Framewire.Internal;

namespace Framewire.Tests.Support;

/// <summary>
/// A stream between a client's TLS and its socket that can hold back what TLS writes, so that a test can send the
/// ciphertext as it likes: cut short, or not at all; or put bytes of its own before TLS's first write, in the same send.
/// </summary>
internal sealed class CapturingStream(Stream inner) : UnseekableStream
{
    private readonly MemoryStream _held = new();

    /// <summary>While true, writes are kept for <see cref="TakeHeld"/> instead of sent.</summary>
    public bool Hold { get; set; }

    /// <summary>Bytes sent with the next write, before it (a PROXY header with the ClientHello).</summary>
    public byte[]? Prefix { get; set; }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public byte[] TakeHeld()
    {
        byte[] held = _held.ToArray();
        _held.SetLength(0);
        return held;
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (Hold)
        {
            _held.Write(buffer, offset, count);
            return;
        }

        inner.Write(buffer, offset, count);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Hold)
        {
            _held.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        if (Prefix is { } prefix)
        {
            Prefix = null;
            return inner.WriteAsync((byte[])[.. prefix, .. buffer.Span], cancellationToken);
        }

        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _held.Dispose();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
