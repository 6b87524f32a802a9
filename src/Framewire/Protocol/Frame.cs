using System.Buffers;

namespace Framewire.Protocol;

/// <summary>
/// One decoded frame: its header and its content. The content is a view into the receive buffer and is valid
/// only until the decoder's caller consumes that buffer; copy it to keep it.
/// </summary>
public readonly struct Frame
{
    /// <summary>Creates a frame.</summary>
    public Frame(FrameHeader header, ReadOnlySequence<byte> content)
    {
        Header = header;
        Content = content;
    }

    /// <summary>The decoded header.</summary>
    public FrameHeader Header { get; }

    /// <summary>Exactly <see cref="FrameHeader.ContentLength"/> bytes.</summary>
    public ReadOnlySequence<byte> Content { get; }
}
