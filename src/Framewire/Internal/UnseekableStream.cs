namespace Framewire.Internal;

/// <summary>
/// The base of the library's adapter streams (a socket seen through TLS, a prefix before a stream, a send counter):
/// they flow one way at a time and cannot seek, so only their reads and writes differ.
/// </summary>
internal abstract class UnseekableStream : Stream
{
    public sealed override bool CanSeek => false;

    public sealed override long Length => throw new NotSupportedException();

    public sealed override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public sealed override void SetLength(long value) => throw new NotSupportedException();
}
