using System.Buffers;
using Framewire.Apps;

namespace Framewire.Engines.Internal;

/// <summary>Raw byte streams handed to an <see cref="IStreamHandler"/>.</summary>
internal sealed class StreamProtocol(IStreamHandler handler) : ConnectionProtocol
{
    public override bool HasPartialMessage => false;

    public override ProcessStatus Process(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        handler.OnReceived(ref input, output);
        return ProcessStatus.NeedMoreData;
    }
}
