namespace Framewire.Engines;

/// <summary>
/// Where a <see cref="ConnectionApplication"/> is in the message it receives: what the frame timeout and the minimum
/// data rate guard, and whether a connection that ends now cuts a message short.
/// </summary>
public enum MessageProgress
{
    /// <summary>Between messages, or a protocol without messages (raw streams).</summary>
    None,

    /// <summary>Part of a message's header has come: <see cref="MessageServerOptions.FrameTimeout"/> runs.</summary>
    Header,

    /// <summary>The header is complete and content is awaited: <see cref="MessageServerOptions.MinDataRate"/> applies.</summary>
    Content,
}
