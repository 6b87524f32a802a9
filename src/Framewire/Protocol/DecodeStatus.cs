namespace Framewire.Protocol;

/// <summary>What one call of <see cref="FrameDecoder.Decode"/> produced.</summary>
public enum DecodeStatus
{
    /// <summary>No complete frame yet; call again when more bytes have arrived.</summary>
    NeedMoreData,

    /// <summary>A complete frame was decoded.</summary>
    Frame,

    /// <summary>The bytes are not a valid frame; the stream cannot be resynchronised.</summary>
    Error,
}
