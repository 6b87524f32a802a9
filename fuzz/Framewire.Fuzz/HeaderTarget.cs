using System.Text;
using Framewire.Protocol;
using Framewire.Protocol.Internal;

namespace Framewire.Fuzz;

/// <summary>
/// Differential: the input as a JSON header, read by the flat scanner and by the full JSON parser. Whenever the
/// scanner accepts, the full parser must accept with the same fields and no custom keys; whenever the header is in
/// exactly the form the scanner is for (the tutorial's <c>json.dumps</c> of the four keys), the scanner must accept
/// it; and the decoder's combined path must answer exactly as the full parser does, accept or reject, error and all.
/// </summary>
internal static class HeaderTarget
{
    // The scanner's limit check and the full parser's must agree both below and at the widest limit.
    private static readonly int[] ContentLimits = [4096, int.MaxValue];

    public static void Run(ReadOnlySpan<byte> json)
    {
        foreach (int limit in ContentLimits)
        {
            bool full = HeaderParser.TryParseAnyJson(json, limit, out FrameHeader expected, out ProtocolError fullError);
            bool combined = HeaderParser.TryParse(json, limit, out FrameHeader actual, out ProtocolError combinedError);
            if (combined != full || fullError != combinedError || (full && Describe(actual) != Describe(expected)))
            {
                throw new InvariantException($"With limit {limit} the decoder's header path answered {Answer(combined, actual, combinedError)}, the full parser {Answer(full, expected, fullError)}.");
            }

            bool scanned = FlatHeaderScanner.TryScan(json, limit, out FrameHeader flat);
            if (scanned && (!full || expected.CustomHeaders.Count != 0 || Describe(flat) != Describe(expected)))
            {
                throw new InvariantException($"With limit {limit} the scanner accepted {Describe(flat)}, the full parser answered {Answer(full, expected, fullError)}.");
            }

            if (!scanned && full && IsScannerForm(json, expected))
            {
                throw new InvariantException($"With limit {limit} the scanner declined a header in the tutorial's own form: {Describe(expected)}.");
            }
        }
    }

    // The bytes Python's json.dumps writes for these four values, when every value is plain printable ASCII and the
    // length has at most the 9 digits the scanner reads (longer ones it leaves to the full parser by design).
    private static bool IsScannerForm(ReadOnlySpan<byte> json, in FrameHeader header)
    {
        if (header.CustomHeaders.Count != 0 || header.ContentLength > 999_999_999 || !IsPlain(header.ByteOrder) || !IsPlain(header.ContentType) || !IsPlain(header.ContentEncoding))
        {
            return false;
        }

        string canonical = $"{{\"byteorder\": \"{header.ByteOrder}\", \"content-type\": \"{header.ContentType}\", \"content-encoding\": \"{header.ContentEncoding}\", \"content-length\": {header.ContentLength}}}";
        return json.SequenceEqual(Encoding.ASCII.GetBytes(canonical));
    }

    private static bool IsPlain(string value)
    {
        foreach (char c in value)
        {
            if (c is < ' ' or > '~' or '"' or '\\')
            {
                return false;
            }
        }

        return true;
    }

    private static string Answer(bool accepted, in FrameHeader header, in ProtocolError error) =>
        accepted ? $"accepted {Describe(header)}" : $"rejected {error}";

    private static string Describe(in FrameHeader header)
    {
        var text = new StringBuilder()
            .Append(header.ByteOrder).Append('|').Append(header.ContentType).Append('|')
            .Append(header.ContentEncoding).Append('|').Append(header.ContentLength);
        foreach (HeaderField field in header.CustomHeaders)
        {
            text.Append('|').Append(field.Name).Append('=').Append(field.RawJson);
        }

        return text.ToString();
    }
}
