using System.Buffers;
using System.Net;
using System.Text;

namespace Framewire.Cli.Admin;

/// <summary>
/// The request line and <c>Host</c> of an HTTP/1.x request, all the admin endpoint's few GET routes need. Bodies,
/// other headers and keep-alive are not served: every answer closes its connection.
/// </summary>
internal readonly record struct HttpRequestHead(string Method, string Path, string? Host)
{
    /// <summary>A head no longer than a frame header may be (8 KiB); browsers send well under 2 KiB to a loopback address.</summary>
    public const int MaxLength = 8 * 1024;

    /// <summary>
    /// Reads a complete head off <paramref name="input"/>. <see cref="HttpHeadStatus.Incomplete"/> leaves the input as
    /// it is; <see cref="HttpHeadStatus.TooLarge"/> and <see cref="HttpHeadStatus.Malformed"/> are answered 431 and 400.
    /// </summary>
    public static HttpHeadStatus TryRead(ref ReadOnlySequence<byte> input, out HttpRequestHead head)
    {
        head = default;
        var reader = new SequenceReader<byte>(input);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> bytes, "\r\n\r\n"u8, advancePastDelimiter: true))
        {
            return input.Length > MaxLength ? HttpHeadStatus.TooLarge : HttpHeadStatus.Incomplete;
        }

        if (bytes.Length > MaxLength)
        {
            return HttpHeadStatus.TooLarge;
        }

        input = input.Slice(reader.Position);
        return TryParse(Encoding.Latin1.GetString(bytes), out head) ? HttpHeadStatus.Complete : HttpHeadStatus.Malformed;
    }

    /// <summary>
    /// True when the request named this machine: a browser sends the name it resolved, so a page of another site whose
    /// name was re-pointed at 127.0.0.1 (DNS rebinding) is refused instead of reading the clients' addresses.
    /// </summary>
    public bool IsForLoopback()
    {
        if (Host is null)
        {
            // No browser sends a request without Host; HTTP/1.0 tools may.
            return true;
        }

        string name = Host;
        if (name.StartsWith('['))
        {
            int close = name.IndexOf(']', StringComparison.Ordinal);
            name = close < 0 ? name : name[1..close];
        }
        else if (name.LastIndexOf(':') is int colon and > 0)
        {
            name = name[..colon];
        }

        return string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(name, out IPAddress? address) && IPAddress.IsLoopback(address));
    }

    private static bool TryParse(string text, out HttpRequestHead head)
    {
        head = default;
        string[] lines = text.Split("\r\n");
        string[] request = lines[0].Split(' ');
        if (request.Length != 3 || request[0].Length == 0 || !request[1].StartsWith('/') || !request[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return false;
        }

        string? host = null;
        for (int i = 1; i < lines.Length; i++)
        {
            int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return false;
            }

            if (lines[i].AsSpan(0, colon).Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                if (host is not null)
                {
                    // Two Hosts: RFC 9112 §3.2 says answer 400.
                    return false;
                }

                host = lines[i][(colon + 1)..].Trim();
            }
        }

        int query = request[1].IndexOf('?', StringComparison.Ordinal);
        head = new HttpRequestHead(request[0], query < 0 ? request[1] : request[1][..query], host);
        return true;
    }
}
