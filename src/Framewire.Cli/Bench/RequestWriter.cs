using System.Buffers;

namespace Framewire.Cli.Bench;

/// <summary>
/// One connection's requests, laid out once in a pooled buffer: the requests for any run of up to <c>depth</c>
/// consecutive sequence numbers are one contiguous slice, so a batch goes out in one send with nothing copied.
/// A stamped workload rewrites only the sequence numbers in the slots it hands out.
/// </summary>
internal sealed class RequestWriter : IDisposable
{
    private readonly Workload _workload;
    private readonly int[] _offsets;
    private byte[] _buffer;

    public RequestWriter(Workload workload, int depth)
    {
        _workload = workload;

        // A batch may start anywhere in the cycle: depth slots after each of the cycle's first positions.
        int slots = depth + workload.Cycle - 1;
        _offsets = new int[slots + 1];
        for (int i = 0; i < slots; i++)
        {
            _offsets[i + 1] = checked(_offsets[i] + workload.RequestTemplate(i % workload.Cycle).Length);
        }

        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, _offsets[slots]));
        for (int i = 0; i < slots; i++)
        {
            workload.RequestTemplate(i % workload.Cycle).CopyTo(_buffer.AsSpan(_offsets[i]));
        }
    }

    /// <summary>The bytes of requests <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1, valid until the next call.</summary>
    public ReadOnlyMemory<byte> Write(long first, int count)
    {
        int start = (int)(first % _workload.Cycle);
        if (_workload.IsStamped)
        {
            for (int i = 0; i < count; i++)
            {
                int slot = start + i;
                _workload.StampRequest(_buffer.AsSpan(_offsets[slot], _offsets[slot + 1] - _offsets[slot]), first + i);
            }
        }

        return _buffer.AsMemory(_offsets[start], _offsets[start + count] - _offsets[start]);
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
