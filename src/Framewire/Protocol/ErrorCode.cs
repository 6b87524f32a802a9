namespace Framewire.Protocol;

/// <summary>
/// Why a frame or a request was refused. Each value has a stable wire string
/// (<see cref="ProtocolError.WireCode"/>) that appears in error frames as <c>error.code</c>.
/// </summary>
public enum ErrorCode
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The 2-byte header length is zero.</summary>
    HeaderLengthInvalid,

    /// <summary>The 2-byte header length is above the configured maximum.</summary>
    HeaderTooLarge,

    /// <summary>The header bytes are not valid UTF-8, or its \u escapes name a lone surrogate, which is no text.</summary>
    HeaderInvalidUtf8,

    /// <summary>The header is not well-formed JSON.</summary>
    HeaderNotJson,

    /// <summary>The header is JSON but not a JSON object.</summary>
    HeaderNotObject,

    /// <summary>One of byteorder, content-type, content-encoding, content-length is missing.</summary>
    HeaderMissingKey,

    /// <summary>A key appears twice in the header.</summary>
    HeaderDuplicateKey,

    /// <summary>byteorder, content-type or content-encoding is not a JSON string.</summary>
    HeaderInvalidValue,

    /// <summary>content-length is not a non-negative JSON integer.</summary>
    ContentLengthInvalid,

    /// <summary>content-length is above the configured maximum.</summary>
    ContentTooLarge,

    /// <summary>The content-encoding of a text/json frame is not one the server decodes.</summary>
    UnsupportedEncoding,

    /// <summary>text/json content does not decode with its encoding or is not valid JSON.</summary>
    ContentNotJson,

    /// <summary>The request is valid JSON but not what the handler accepts (for example not an object).</summary>
    InvalidRequest,

    /// <summary>The request names an action the handler does not know.</summary>
    InvalidAction,

    /// <summary>The stream ended in the middle of a frame.</summary>
    FrameTruncated,

    /// <summary>A frame did not arrive completely in time.</summary>
    FrameTimeout,

    /// <summary>The server has no room for another connection.</summary>
    ServerBusy,

    /// <summary>The server is stopping and did not take the request.</summary>
    ShuttingDown,

    /// <summary>The handler failed; the connection is still usable.</summary>
    InternalError,

    /// <summary>A frame's content arrived slower than the minimum data rate.</summary>
    DataRateTooLow,

    /// <summary>
    /// The client did not read its responses: unsent output passed the send limit, or drained slower than the
    /// minimum data rate. Only counted and logged, as the client would not read an error frame either.
    /// </summary>
    SlowConsumer,

    /// <summary>A frame's content does not match its <c>content-checksum</c> header.</summary>
    ChecksumMismatch,

    /// <summary>A <c>content-checksum</c> header names an unknown algorithm or is not its algorithm and lower-case hex digest.</summary>
    ChecksumInvalid,
}
