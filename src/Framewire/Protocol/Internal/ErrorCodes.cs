namespace Framewire.Protocol.Internal;

/// <summary>Maps <see cref="ErrorCode"/> values to and from their stable wire strings.</summary>
internal static class ErrorCodes
{
    /// <summary>The wire string of <paramref name="code"/>, for example <c>header_too_large</c>.</summary>
    public static string ToWireString(ErrorCode code) => code switch
    {
        ErrorCode.None => "none",
        ErrorCode.HeaderLengthInvalid => "header_length_invalid",
        ErrorCode.HeaderTooLarge => "header_too_large",
        ErrorCode.HeaderInvalidUtf8 => "header_invalid_utf8",
        ErrorCode.HeaderNotJson => "header_not_json",
        ErrorCode.HeaderNotObject => "header_not_object",
        ErrorCode.HeaderMissingKey => "header_missing_key",
        ErrorCode.HeaderDuplicateKey => "header_duplicate_key",
        ErrorCode.HeaderInvalidValue => "header_invalid_value",
        ErrorCode.ContentLengthInvalid => "content_length_invalid",
        ErrorCode.ContentTooLarge => "content_too_large",
        ErrorCode.UnsupportedEncoding => "unsupported_encoding",
        ErrorCode.ContentNotJson => "content_not_json",
        ErrorCode.InvalidRequest => "invalid_request",
        ErrorCode.InvalidAction => "invalid_action",
        ErrorCode.FrameTruncated => "frame_truncated",
        ErrorCode.FrameTimeout => "frame_timeout",
        ErrorCode.ServerBusy => "server_busy",
        ErrorCode.ShuttingDown => "shutting_down",
        ErrorCode.InternalError => "internal_error",
        ErrorCode.DataRateTooLow => "data_rate_too_low",
        ErrorCode.SlowConsumer => "slow_consumer",
        ErrorCode.ChecksumMismatch => "checksum_mismatch",
        ErrorCode.ChecksumInvalid => "checksum_invalid",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "Unknown error code."),
    };

    /// <summary>Parses a wire string back to its <see cref="ErrorCode"/>; false for strings this version does not know.</summary>
    public static bool TryParse(string? wire, out ErrorCode code)
    {
        foreach (ErrorCode candidate in Enum.GetValues<ErrorCode>())
        {
            if (candidate != ErrorCode.None && string.Equals(ToWireString(candidate), wire, StringComparison.Ordinal))
            {
                code = candidate;
                return true;
            }
        }

        code = ErrorCode.None;
        return false;
    }

    /// <summary>
    /// True when the error leaves the byte stream unusable: the server answers with an error frame and closes.
    /// The other codes concern one intact frame, and the connection stays open.
    /// </summary>
    public static bool BreaksFraming(ErrorCode code) => code is
        ErrorCode.HeaderLengthInvalid or ErrorCode.HeaderTooLarge or ErrorCode.HeaderInvalidUtf8 or
        ErrorCode.HeaderNotJson or ErrorCode.HeaderNotObject or ErrorCode.HeaderMissingKey or
        ErrorCode.HeaderDuplicateKey or ErrorCode.HeaderInvalidValue or ErrorCode.ContentLengthInvalid or
        ErrorCode.ContentTooLarge or ErrorCode.FrameTruncated or ErrorCode.FrameTimeout or ErrorCode.DataRateTooLow or ErrorCode.SlowConsumer or ErrorCode.ServerBusy or ErrorCode.ShuttingDown;
}
