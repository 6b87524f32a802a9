using System.Buffers;

namespace Framewire.Testing;

/// <summary>
/// A byte sequence in several segments, as a pipe hands over what arrived in several reads. One source file, compiled
/// into the tests, the benchmarks and the fuzz targets.
/// </summary>
internal static class SegmentedSequence
{
    /// <summary>The pieces, in order, as one sequence of that many segments.</summary>
    public static ReadOnlySequence<byte> Create(IReadOnlyList<ReadOnlyMemory<byte>> pieces)
    {
        var first = new Segment(pieces[0], 0);
        Segment last = first;
        for (int i = 1; i < pieces.Count; i++)
        {
            last = last.Append(pieces[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
