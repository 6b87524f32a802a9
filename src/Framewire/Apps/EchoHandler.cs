using System.Buffers;
using Framewire.Engines;

namespace Framewire.Apps;

/// <summary>Sends every received byte straight back, unframed: the tutorial's echo and multi-connection servers.</summary>
public sealed class EchoHandler : IStreamHandler
{
    /// <summary>The one instance; the handler has no state.</summary>
    public static EchoHandler Instance { get; } = new();

    /// <inheritdoc/>
    public void OnReceived(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output is ConnectionOutput connection)
        {
            // The engine's own output may send the bytes from where they were read, without copying them first.
            foreach (ReadOnlyMemory<byte> segment in input)
            {
                connection.WriteReceived(segment.Span);
            }
        }
        else
        {
            foreach (ReadOnlyMemory<byte> segment in input)
            {
                output.Write(segment.Span);
            }
        }

        input = input.Slice(input.End);
    }
}
