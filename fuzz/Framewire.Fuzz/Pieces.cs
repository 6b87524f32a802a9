using System.Buffers;
using Framewire.Testing;

namespace Framewire.Fuzz;

/// <summary>The same bytes as a pipe might hand them over: whole, or cut into segments.</summary>
internal static class Pieces
{
    /// <summary>The bytes in two segments cut at <paramref name="at"/>, or one when the cut would leave an empty side.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] bytes, int at)
    {
        if (at <= 0 || at >= bytes.Length)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        return SegmentedSequence.Create([bytes.AsMemory(0, at), bytes.AsMemory(at)]);
    }

    /// <summary>The bytes in segments of <paramref name="size"/> bytes (the last may be shorter).</summary>
    public static ReadOnlySequence<byte> Chunked(byte[] bytes, int size)
    {
        if (bytes.Length <= size)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var pieces = new List<ReadOnlyMemory<byte>>((bytes.Length + size - 1) / size);
        for (int offset = 0; offset < bytes.Length; offset += size)
        {
            pieces.Add(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)));
        }

        return SegmentedSequence.Create(pieces);
    }
}
