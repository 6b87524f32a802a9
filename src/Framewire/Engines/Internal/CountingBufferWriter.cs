using System.Buffers;

namespace Framewire.Engines.Internal;

/// <summary>
/// Passes writes through to a connection's output and counts them, so the protocol knows how far ahead of its
/// client it has written without asking the engine's writer. One per connection, reused for every message.
/// </summary>
internal sealed class CountingBufferWriter : IBufferWriter<byte>
{
    private IBufferWriter<byte>? _target;

    /// <summary>Bytes written since <see cref="ResetCount"/>.</summary>
    public long Count { get; private set; }

    public IBufferWriter<byte> Target
    {
        set => _target = value;
    }

    public void ResetCount() => Count = 0;

    public void Advance(int count)
    {
        _target!.Advance(count);
        Count += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => _target!.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => _target!.GetSpan(sizeHint);
}
