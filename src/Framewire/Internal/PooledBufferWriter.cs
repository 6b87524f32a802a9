using System.Buffers;

namespace Framewire.Internal;

/// <summary>
/// A growable buffer on <see cref="ArrayPool{T}"/> (the shared pool unless given one). <see cref="Clear"/> keeps the
/// array for the next use; <see cref="Release"/> hands it back, so an idle owner holds no memory.
/// </summary>
internal sealed class PooledBufferWriter(int minimumSize = 256, ArrayPool<byte>? pool = null) : IBufferWriter<byte>
{
    private readonly ArrayPool<byte> _pool = pool ?? ArrayPool<byte>.Shared;

    private byte[] _buffer = [];
    private int _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public int WrittenCount => _written;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written > _buffer.Length - count)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer.");
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Clear() => _written = 0;

    public void Release()
    {
        _written = 0;
        if (_buffer.Length > 0)
        {
            _pool.Return(_buffer);
            _buffer = [];
        }
    }

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        int size = Math.Max(Math.Max(minimumSize, _buffer.Length * 2), checked(_written + needed));
        byte[] grown = _pool.Rent(size);
        _buffer.AsSpan(0, _written).CopyTo(grown);
        if (_buffer.Length > 0)
        {
            _pool.Return(_buffer);
        }

        _buffer = grown;
    }
}
