using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Framewire.Proxy;

/// <summary>
/// Parses the PROXY protocol header (versions 1 and 2, https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt)
/// that a load balancer puts before a connection's first byte. Incremental: a header split at any byte parses the
/// same, and invalid bytes are refused as soon as they arrive rather than when the header would be complete.
/// </summary>
/// <remarks>
/// Use it only on connections from proxies you trust, and require the header from them: the specification forbids
/// guessing whether a header is present, since anyone allowed to send one can claim any address.
/// </remarks>
public static class ProxyHeaderParser
{
    /// <summary>The longest version 1 line, CRLF included: "PROXY UNKNOWN " + 2 × 39 + 2 × 5 + 3 spaces + CRLF.</summary>
    public const int MaxV1Length = 107;

    /// <summary>Signature, version and command, family and transport, length: the version 2 header before its addresses.</summary>
    public const int V2FixedLength = 16;

    /// <summary>The longest header: version 2 with the largest length field.</summary>
    public const int MaxLength = V2FixedLength + ushort.MaxValue;

    // Version 2 address blocks: IPv4 2 × 4 + 2 × 2, IPv6 2 × 16 + 2 × 2, Unix 2 × 108.
    private const int InetAddressLength = 12;
    private const int Inet6AddressLength = 36;
    private const int UnixPathLength = 108;
    private const int UnixAddressLength = 2 * UnixPathLength;

    private static readonly SearchValues<byte> Ipv6Characters = SearchValues.Create("0123456789abcdefABCDEF:."u8);

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>Parses the header at the start of <paramref name="input"/>, which holds everything received so far.</summary>
    /// <returns>
    /// <see cref="ProxyParseStatus.Parsed"/> with <paramref name="header"/> set; <see cref="ProxyParseStatus.NeedMoreData"/>;
    /// or <see cref="ProxyParseStatus.Invalid"/> with <paramref name="error"/> saying why.
    /// </returns>
    public static ProxyParseStatus Parse(ReadOnlySequence<byte> input, out ProxyHeader header, out string? error)
    {
        header = default;
        error = null;
        Span<byte> start = stackalloc byte[V2FixedLength];
        int available = (int)Math.Min(input.Length, V2FixedLength);
        input.Slice(0, available).CopyTo(start);
        start = start[..available];
        if (available == 0)
        {
            return ProxyParseStatus.NeedMoreData;
        }

        if (IsPrefix(start, V1Prefix))
        {
            return start.Length < V1Prefix.Length ? ProxyParseStatus.NeedMoreData : ParseV1(input, out header, out error);
        }

        if (IsPrefix(start, V2Signature))
        {
            return start.Length < V2FixedLength ? CheckV2Start(start, out error) : ParseV2(input, start, out header, out error);
        }

        return Invalid("The connection does not start with a PROXY protocol header.", out error);
    }

    // "PROXY" SP ( "TCP4" | "TCP6" ) SP src SP dst SP srcport SP dstport CRLF, or "PROXY UNKNOWN" [anything] CRLF.
    private static ProxyParseStatus ParseV1(ReadOnlySequence<byte> input, out ProxyHeader header, out string? error)
    {
        header = default;
        Span<byte> line = stackalloc byte[MaxV1Length];
        int available = (int)Math.Min(input.Length, MaxV1Length);
        input.Slice(0, available).CopyTo(line);
        line = line[..available];

        int cr = line.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E);
        if (cr < 0)
        {
            return available == MaxV1Length
                ? Invalid("The PROXY line has no CRLF within 107 bytes.", out error)
                : NeedMore(out error);
        }

        if (line[cr] != (byte)'\r')
        {
            return Invalid("The PROXY line holds a byte that is not printable ASCII.", out error);
        }

        if (cr + 1 == available)
        {
            return available == MaxV1Length
                ? Invalid("The PROXY line has no CRLF within 107 bytes.", out error)
                : NeedMore(out error);
        }

        if (line[cr + 1] != (byte)'\n')
        {
            return Invalid("The PROXY line's CR is not followed by LF.", out error);
        }

        ReadOnlySpan<byte> fields = line[V1Prefix.Length..cr];
        int length = cr + 2;
        if (fields.SequenceEqual("UNKNOWN"u8) || fields.StartsWith("UNKNOWN "u8))
        {
            // The receiver must ignore whatever follows UNKNOWN and keep the connection's own addresses.
            header = new ProxyHeader(1, null, null, length);
            error = null;
            return ProxyParseStatus.Parsed;
        }

        AddressFamily family;
        if (fields.StartsWith("TCP4 "u8))
        {
            family = AddressFamily.InterNetwork;
        }
        else if (fields.StartsWith("TCP6 "u8))
        {
            family = AddressFamily.InterNetworkV6;
        }
        else
        {
            return Invalid("The PROXY line's protocol is not TCP4, TCP6 or UNKNOWN.", out error);
        }

        ReadOnlySpan<byte> rest = fields[5..];
        if (!NextField(ref rest, out ReadOnlySpan<byte> sourceText)
            || !NextField(ref rest, out ReadOnlySpan<byte> destinationText)
            || !NextField(ref rest, out ReadOnlySpan<byte> sourcePortText)
            || !NextField(ref rest, out ReadOnlySpan<byte> destinationPortText)
            || !rest.IsEmpty)
        {
            return Invalid("The PROXY line does not have exactly four fields after its protocol, separated by single spaces.", out error);
        }

        if (!TryParseAddress(sourceText, family, out IPAddress? source) || !TryParseAddress(destinationText, family, out IPAddress? destination))
        {
            return Invalid("The PROXY line holds an address that is not a valid address of its protocol.", out error);
        }

        if (!TryParsePort(sourcePortText, out int sourcePort) || !TryParsePort(destinationPortText, out int destinationPort))
        {
            return Invalid("The PROXY line holds a port that is not a decimal number from 0 to 65535.", out error);
        }

        header = new ProxyHeader(1, new IPEndPoint(source, sourcePort), new IPEndPoint(destination, destinationPort), length);
        error = null;
        return ProxyParseStatus.Parsed;
    }

    // The bytes after the signature can be refused before the 16 fixed bytes are all there.
    private static ProxyParseStatus CheckV2Start(ReadOnlySpan<byte> start, out string? error)
    {
        if (start.Length > 12 && !IsValidVersionAndCommand(start[12]))
        {
            return Invalid("The PROXY v2 header's version is not 2 or its command is not LOCAL or PROXY.", out error);
        }

        if (start.Length > 13 && !IsValidFamilyAndTransport(start[13]))
        {
            return Invalid("The PROXY v2 header's address family and transport are not a defined pair.", out error);
        }

        return NeedMore(out error);
    }

    private static ProxyParseStatus ParseV2(ReadOnlySequence<byte> input, ReadOnlySpan<byte> start, out ProxyHeader header, out string? error)
    {
        header = default;
        if (CheckV2Start(start, out error) == ProxyParseStatus.Invalid)
        {
            return ProxyParseStatus.Invalid;
        }

        int length = V2FixedLength + BinaryPrimitives.ReadUInt16BigEndian(start[14..]);
        bool local = (start[12] & 0x0F) == 0;
        int family = start[13] >> 4;
        int transport = start[13] & 0x0F;
        int addressLength = family switch
        {
            1 => InetAddressLength,
            2 => Inet6AddressLength,
            3 => UnixAddressLength,
            _ => 0,
        };

        // Refused before the rest arrives: a block too short for its family can never become valid.
        if (!local && length - V2FixedLength < addressLength)
        {
            return Invalid("The PROXY v2 header is too short for its address family.", out error);
        }

        if (!local && transport == 2)
        {
            return Invalid("The PROXY v2 header describes a datagram connection, not a stream.", out error);
        }

        if (input.Length < length)
        {
            return NeedMore(out error);
        }

        // LOCAL: the proxy's own connection (a health check); the receiver must use the real addresses. UNSPEC: an
        // unknown protocol, for which the specification lets the receiver keep the real addresses too.
        if (local || family == 0)
        {
            header = new ProxyHeader(2, null, null, length);
            return ProxyParseStatus.Parsed;
        }

        Span<byte> block = stackalloc byte[UnixAddressLength];
        block = block[..addressLength];
        input.Slice(V2FixedLength, addressLength).CopyTo(block);
        EndPoint? source;
        EndPoint? destination;
        if (family == 3)
        {
            if (!TryParseUnixPath(block[..UnixPathLength], out source) || !TryParseUnixPath(block[UnixPathLength..], out destination))
            {
                return Invalid("The PROXY v2 header holds a Unix socket path that is not NUL-terminated UTF-8.", out error);
            }
        }
        else
        {
            int size = family == 1 ? 4 : 16;
            ReadOnlySpan<byte> ports = block[(2 * size)..];
            source = new IPEndPoint(new IPAddress(block[..size]), BinaryPrimitives.ReadUInt16BigEndian(ports));
            destination = new IPEndPoint(new IPAddress(block[size..(2 * size)]), BinaryPrimitives.ReadUInt16BigEndian(ports[2..]));
        }

        // TLVs after the addresses are skipped: nothing here needs them, and the length field covers them.
        header = new ProxyHeader(2, source, destination, length);
        return ProxyParseStatus.Parsed;
    }

    // The high nibble is the version (2); the low one the command: 0 LOCAL, 1 PROXY.
    private static bool IsValidVersionAndCommand(byte value) => value is 0x20 or 0x21;

    // UNSPEC, or TCP/UDP over IPv4 or IPv6, or a Unix stream/datagram: every other value must be rejected.
    private static bool IsValidFamilyAndTransport(byte value) => value is 0x00 or 0x11 or 0x12 or 0x21 or 0x22 or 0x31 or 0x32;

    private static bool IsPrefix(ReadOnlySpan<byte> start, ReadOnlySpan<byte> signature)
    {
        int compared = Math.Min(start.Length, signature.Length);
        return start[..compared].SequenceEqual(signature[..compared]);
    }

    private static bool NextField(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> field)
    {
        int space = rest.IndexOf((byte)' ');
        field = space < 0 ? rest : rest[..space];
        rest = space < 0 ? [] : rest[(space + 1)..];
        return !field.IsEmpty && (space < 0 || !rest.IsEmpty);
    }

    private static bool TryParseAddress(ReadOnlySpan<byte> text, AddressFamily family, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (family == AddressFamily.InterNetwork)
        {
            return TryParseDottedQuad(text, out address);
        }

        // Hex digits, colons, and dots for an embedded IPv4 tail: no brackets, zone ids or other forms the runtime's
        // parser would also accept.
        if (text.Length > 39 || text.IndexOfAnyExcept(Ipv6Characters) >= 0)
        {
            return false;
        }

        Span<char> chars = stackalloc char[39];
        int length = Encoding.ASCII.GetChars(text, chars);
        return IPAddress.TryParse(chars[..length], out address) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    // Exactly four decimal numbers from 0 to 255; leading zeros are refused, since some parsers read them as octal.
    private static bool TryParseDottedQuad(ReadOnlySpan<byte> text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        Span<byte> bytes = stackalloc byte[4];
        for (int i = 0; i < 4; i++)
        {
            int dot = text.IndexOf((byte)'.');
            ReadOnlySpan<byte> part = i < 3 ? (dot < 0 ? [] : text[..dot]) : text;
            if (i == 3 && dot >= 0)
            {
                return false;
            }

            if (!TryParseDecimal(part, 3, out int value) || value > 255)
            {
                return false;
            }

            bytes[i] = (byte)value;
            text = i < 3 ? text[(dot + 1)..] : [];
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static bool TryParsePort(ReadOnlySpan<byte> text, out int port) => TryParseDecimal(text, 5, out port) && port <= IPEndPoint.MaxPort;

    private static bool TryParseDecimal(ReadOnlySpan<byte> text, int maxDigits, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > maxDigits || (text.Length > 1 && text[0] == (byte)'0'))
        {
            return false;
        }

        foreach (byte digit in text)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (digit - '0');
        }

        return true;
    }

    // A path padded with NULs to 108 bytes; an empty one is an unnamed socket, which has no address to report.
    private static bool TryParseUnixPath(ReadOnlySpan<byte> path, out EndPoint? endPoint)
    {
        endPoint = null;
        int end = path.IndexOf((byte)0);
        if (end < 0 || !System.Text.Unicode.Utf8.IsValid(path[..end]))
        {
            return false;
        }

        if (end > 0)
        {
            endPoint = new UnixDomainSocketEndPoint(Encoding.UTF8.GetString(path[..end]));
        }

        return true;
    }

    private static ProxyParseStatus NeedMore(out string? error)
    {
        error = null;
        return ProxyParseStatus.NeedMoreData;
    }

    private static ProxyParseStatus Invalid(string reason, out string? error)
    {
        error = reason;
        return ProxyParseStatus.Invalid;
    }
}
