using System.Buffers;
using Framewire.Proxy;

namespace Framewire.Fuzz;

/// <summary>
/// The input as the first bytes of a connection behind a proxy. The parser is incremental, so every prefix of the
/// input must answer consistently with the whole: a prefix of a valid header needs more data (it is never refused),
/// a refused prefix stays refused however many bytes follow, and a header parses the same from any longer input,
/// whole or split into segments.
/// </summary>
internal static class ProxyTarget
{
    // A v1 line is at most 107 bytes and a v2 header's addresses end within 232: every decision the parser makes
    // falls inside this many bytes, so longer prefixes only repeat the same answer at more cost.
    private const int PrefixesChecked = 300;

    public static void Run(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        ProxyParseStatus whole = Parse(new ReadOnlySequence<byte>(bytes), out ProxyHeader header, out string? error);
        Require(whole, header, Parse(Pieces.SplitAt(bytes, bytes.Length / 3), out ProxyHeader split, out _), split, "split in two");
        Require(whole, header, Parse(Pieces.Chunked(bytes, 1), out ProxyHeader chunked, out _), chunked, "one byte per segment");
        if (whole == ProxyParseStatus.Parsed && (header.Length > bytes.Length || header.Length > ProxyHeaderParser.MaxLength))
        {
            throw new InvariantException($"The header claims {header.Length} bytes of {bytes.Length}.");
        }

        int prefixes = Math.Min(bytes.Length, PrefixesChecked);
        for (int length = 0; length < prefixes; length++)
        {
            ProxyParseStatus status = Parse(new ReadOnlySequence<byte>(bytes, 0, length), out ProxyHeader early, out string? earlyError);
            bool beforeEnd = whole == ProxyParseStatus.Parsed && length < header.Length;
            if (beforeEnd && status != ProxyParseStatus.NeedMoreData)
            {
                throw new InvariantException($"The first {length} bytes of a {header.Length}-byte header answered {status} ({earlyError}).");
            }

            if (status == ProxyParseStatus.Invalid && whole != ProxyParseStatus.Invalid)
            {
                throw new InvariantException($"The first {length} bytes were refused ({earlyError}), all {bytes.Length} answered {whole}.");
            }

            if (status == ProxyParseStatus.Parsed && (whole != ProxyParseStatus.Parsed || !Same(early, header)))
            {
                throw new InvariantException($"The first {length} bytes parsed as {early}, all {bytes.Length} answered {whole} {header} ({error}).");
            }
        }
    }

    private static ProxyParseStatus Parse(ReadOnlySequence<byte> input, out ProxyHeader header, out string? error)
    {
        ProxyParseStatus status = ProxyHeaderParser.Parse(input, out header, out error);
        if (status == ProxyParseStatus.Invalid && string.IsNullOrEmpty(error))
        {
            throw new InvariantException("An invalid header came without a reason.");
        }

        return status;
    }

    private static void Require(ProxyParseStatus expected, in ProxyHeader expectedHeader, ProxyParseStatus actual, in ProxyHeader actualHeader, string how)
    {
        if (actual != expected || !Same(actualHeader, expectedHeader))
        {
            throw new InvariantException($"The bytes parsed differently {how}: {expected} {expectedHeader} / {actual} {actualHeader}");
        }
    }

    // Endpoints compared by what they say: two parses of one Unix path are two endpoint objects.
    private static bool Same(in ProxyHeader a, in ProxyHeader b) =>
        a.Version == b.Version && a.Length == b.Length && Same(a.Source, b.Source) && Same(a.Destination, b.Destination);

    private static bool Same(System.Net.EndPoint? a, System.Net.EndPoint? b) =>
        a is null ? b is null : b is not null && a.AddressFamily == b.AddressFamily && string.Equals(a.ToString(), b.ToString(), StringComparison.Ordinal);
}
