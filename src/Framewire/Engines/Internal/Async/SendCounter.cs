using Framewire.Engines.Internal.Connections;
using Framewire.Internal;

namespace Framewire.Engines.Internal.Async;

/// <summary>
/// The async engine's output stream under TLS (a plain socket has <see cref="SocketOutput"/>), counting the bytes the
/// socket has taken into the connection's figures, in slices small enough that a client reading slowly but steadily
/// shows progress: what tells a slow consumer from a large response. <see cref="ConnectionStats.BytesSent"/> is then
/// both the live view's figure and the sweep's measure.
/// </summary>
internal sealed class SendCounter(Stream inner, ConnectionStats stats) : UnseekableStream
{
    private const int SliceSize = 64 * 1024;

    public override bool CanRead => false;

    public override bool CanWrite => true;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            ReadOnlyMemory<byte> slice = buffer.Length > SliceSize ? buffer[..SliceSize] : buffer;
            await inner.WriteAsync(slice, cancellationToken).ConfigureAwait(false);
            stats.AddBytesSent(slice.Length);
            buffer = buffer[slice.Length..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        stats.AddBytesSent(count);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

}
