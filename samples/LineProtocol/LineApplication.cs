using System.Buffers;
using System.Text;
using Framewire.Engines;
using Framewire.Protocol;

namespace LineProtocol;

/// <summary>
/// A line protocol: each line of UTF-8 text, ended by <c>\n</c>, is answered with the line in upper case. A line
/// longer than <see cref="MaxLineLength"/> is refused and the connection closed. The engine brings the rest: a line
/// begun and not finished within the frame timeout is answered with <c>ERR</c> and closed, as is a connection that
/// ends in the middle of a line, and a client that pipelines lines without reading the answers is read no further
/// than the read-ahead limits.
/// </summary>
public sealed class LineApplication : ConnectionApplication
{
    /// <summary>The longest line taken, <c>\n</c> excluded.</summary>
    public const int MaxLineLength = 4096;

    /// <inheritdoc/>
    public override ProcessStatus Process(ref ReadOnlySequence<byte> input, ConnectionOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        while (true)
        {
            if (!input.IsEmpty && output.IsFull)
            {
                return ProcessStatus.Paused;
            }

            SequencePosition? end = input.PositionOf((byte)'\n');
            long length = end is null ? input.Length : input.Slice(0, end.Value).Length;
            if (length > MaxLineLength)
            {
                CloseError = new ProtocolError(ErrorCode.HeaderTooLarge, $"A line is longer than {MaxLineLength} bytes.");
                WriteLine(output, "ERR line too long");
                return ProcessStatus.Close;
            }

            if (end is null)
            {
                return ProcessStatus.NeedMoreData;
            }

            WriteLine(output, Encoding.UTF8.GetString(input.Slice(0, end.Value)).ToUpperInvariant());
            output.CompleteMessage();
            input = input.Slice(input.GetPosition(1, end.Value));
        }
    }

    /// <summary>Unconsumed bytes are a line begun: the frame timeout guards it.</summary>
    public override MessageProgress GetProgress(bool hasUnconsumedInput) =>
        hasUnconsumedInput ? MessageProgress.Header : MessageProgress.None;

    /// <inheritdoc/>
    public override void OnIncompleteMessage(CloseReason reason, ConnectionOutput output) =>
        WriteLine(output, reason == CloseReason.FrameTimeout ? "ERR line not finished in time" : "ERR incomplete line dropped");

    private static void WriteLine(ConnectionOutput output, string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        Span<byte> span = output.GetSpan(length + 1);
        Encoding.UTF8.GetBytes(text, span);
        span[length] = (byte)'\n';
        output.Advance(length + 1);
    }
}
