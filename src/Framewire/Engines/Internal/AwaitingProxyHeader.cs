using System.Buffers;

namespace Framewire.Engines.Internal;

/// <summary>
/// The protocol of a selector connection from a trusted proxy until its PROXY header has come: the real protocol
/// is made only then, since it takes the client's addresses the header gives. It holds nothing and writes nothing,
/// so a connection that ends or is shut down before its header just closes, without an answer.
/// </summary>
internal sealed class AwaitingProxyHeader : ConnectionApplication
{
    private AwaitingProxyHeader()
    {
    }

    public static AwaitingProxyHeader Instance { get; } = new();

    public override bool HasPartialMessage => false;

    // The connection parses the header itself and never hands frames to this placeholder.
    public override ProcessStatus Process(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output) =>
        throw new InvalidOperationException("No frame is processed before the PROXY header.");
}
