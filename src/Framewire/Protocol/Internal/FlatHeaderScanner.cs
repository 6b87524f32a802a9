namespace Framewire.Protocol.Internal;

/// <summary>
/// Reads the header every client of the protocol actually sends — Python's <c>json.dumps</c> of the four required
/// keys in the tutorial's order, with its <c>", "</c> and <c>": "</c> separators, printable ASCII values without
/// escapes — as four literal comparisons and three vectorised scans, without the general JSON reader. It accepts
/// only headers the full <see cref="HeaderParser"/> would accept with the same result, and declines everything else
/// (other key orders or spacing, custom keys, escapes, non-ASCII, any error) so the full parser decides those,
/// errors and all.
/// </summary>
internal static class FlatHeaderScanner
{
    // content-length values of up to 9 digits cannot overflow an int, and any longer one exceeds every limit.
    private const int MaxLengthDigits = 9;

    public static bool TryScan(ReadOnlySpan<byte> json, int maxContentLength, out FrameHeader header)
    {
        header = default;
        if (!TryTake(ref json, "{\"byteorder\": \""u8) || !TryTakePlainString(ref json, out ReadOnlySpan<byte> byteOrder)
            || !TryTake(ref json, "\", \"content-type\": \""u8) || !TryTakePlainString(ref json, out ReadOnlySpan<byte> contentType)
            || !TryTake(ref json, "\", \"content-encoding\": \""u8) || !TryTakePlainString(ref json, out ReadOnlySpan<byte> contentEncoding)
            || !TryTake(ref json, "\", \"content-length\": "u8) || !TryTakeLength(ref json, maxContentLength, out int contentLength)
            || !json.SequenceEqual("}"u8))
        {
            return false;
        }

        header = new FrameHeader(KnownStrings.Intern(byteOrder), KnownStrings.Intern(contentType), KnownStrings.Intern(contentEncoding), contentLength, null);
        return true;
    }

    private static bool TryTake(ref ReadOnlySpan<byte> json, ReadOnlySpan<byte> literal)
    {
        if (!json.StartsWith(literal))
        {
            return false;
        }

        json = json[literal.Length..];
        return true;
    }

    // Takes a string's characters up to (not including) its closing quote.
    private static bool TryTakePlainString(ref ReadOnlySpan<byte> json, out ReadOnlySpan<byte> value)
    {
        int end = json.IndexOfAnyExcept(PlainJsonString.Bytes);
        if (end < 0 || json[end] != (byte)'"')
        {
            value = default;
            return false;
        }

        value = json[..end];
        json = json[end..];
        return true;
    }

    private static bool TryTakeLength(ref ReadOnlySpan<byte> json, int maxContentLength, out int length)
    {
        length = 0;
        int digits = 0;
        while (digits < json.Length && json[digits] is >= (byte)'0' and <= (byte)'9')
        {
            if (digits == MaxLengthDigits)
            {
                return false;
            }

            length = (length * 10) + (json[digits] - '0');
            digits++;
        }

        // JSON has no leading zeros; a fraction or exponent that follows leaves no closing brace for the caller.
        if (digits == 0 || (digits > 1 && json[0] == (byte)'0') || length > maxContentLength)
        {
            return false;
        }

        json = json[digits..];
        return true;
    }
}
