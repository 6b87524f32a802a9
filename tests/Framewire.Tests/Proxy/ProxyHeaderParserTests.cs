using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Framewire.Proxy;
using Framewire.Tests.Support;

namespace Framewire.Tests.Proxy;

public class ProxyHeaderParserTests
{
    private static readonly IPEndPoint Client4 = new(IPAddress.Parse("192.0.2.10"), 56324);
    private static readonly IPEndPoint Server4 = new(IPAddress.Parse("198.51.100.1"), 443);
    private static readonly IPEndPoint Client6 = new(IPAddress.Parse("2001:db8::10"), 1);
    private static readonly IPEndPoint Server6 = new(IPAddress.Parse("2001:db8:ffff::1"), 65535);

    public static TheoryData<string, string?, string?> GoodV1 => new()
    {
        { "PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n", "192.0.2.10:56324", "198.51.100.1:443" },
        { "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", "0.0.0.0:0", "255.255.255.255:65535" },
        { "PROXY TCP6 2001:db8::10 2001:db8:ffff::1 1 65535\r\n", "[2001:db8::10]:1", "[2001:db8:ffff::1]:65535" },
        { "PROXY TCP6 ::ffff:192.0.2.1 ::1 80 8080\r\n", "[::ffff:192.0.2.1]:80", "[::1]:8080" },
        { "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
        { "PROXY UNKNOWN\r\n", null, null },
        { "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n", null, null },
    };

    [Theory]
    [MemberData(nameof(GoodV1))]
    public void Parse_ValidV1_ReturnsEndpointsAndLength(string line, string? source, string? destination)
    {
        byte[] bytes = [.. ProxyHeaders.V1(line), .. "app"u8];

        ProxyParseStatus status = ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes), out ProxyHeader header, out string? error);

        Assert.Equal(ProxyParseStatus.Parsed, status);
        Assert.Null(error);
        Assert.Equal(1, header.Version);
        Assert.Equal(line.Length, header.Length);
        Assert.Equal(source, header.Source?.ToString());
        Assert.Equal(destination, header.Destination?.ToString());
    }

    [Fact]
    public void Parse_LongestV1Line_Is107Bytes()
    {
        string line = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";

        Assert.Equal(ProxyHeaderParser.MaxV1Length, line.Length);
        Assert.Equal(ProxyParseStatus.Parsed, ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(ProxyHeaders.V1(line)), out _, out _));
    }

    [Theory]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\n", "LF without CR")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\rX", "CR without LF")]
    [InlineData("PROXY TCP5 192.0.2.10 198.51.100.1 56324 443\r\n", "unknown protocol")]
    [InlineData("PROXY tcp4 192.0.2.10 198.51.100.1 56324 443\r\n", "protocol is case-sensitive")]
    [InlineData("PROXY  TCP4 192.0.2.10 198.51.100.1 56324 443\r\n", "double space")]
    [InlineData("PROXY TCP4 192.0.2.10  198.51.100.1 56324 443\r\n", "double space between fields")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 56324 443 \r\n", "trailing space")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 56324\r\n", "missing port")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 56324 443 1\r\n", "extra field")]
    [InlineData("PROXY TCP4 192.0.2.256 198.51.100.1 56324 443\r\n", "octet over 255")]
    [InlineData("PROXY TCP4 192.0.2 198.51.100.1 56324 443\r\n", "three octets")]
    [InlineData("PROXY TCP4 192.0.2.1.5 198.51.100.1 56324 443\r\n", "five octets")]
    [InlineData("PROXY TCP4 192.0.02.10 198.51.100.1 56324 443\r\n", "leading zero octet")]
    [InlineData("PROXY TCP4 0x7f.0.0.1 198.51.100.1 56324 443\r\n", "hex octet")]
    [InlineData("PROXY TCP4 2001:db8::1 198.51.100.1 56324 443\r\n", "IPv6 address in TCP4")]
    [InlineData("PROXY TCP6 192.0.2.10 2001:db8::1 56324 443\r\n", "IPv4 address in TCP6")]
    [InlineData("PROXY TCP6 fe80::1%eth0 2001:db8::1 56324 443\r\n", "zone id")]
    [InlineData("PROXY TCP6 [2001:db8::1] 2001:db8::2 56324 443\r\n", "brackets")]
    [InlineData("PROXY TCP6 2001:db8:::1 2001:db8::2 56324 443\r\n", "bad IPv6")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 65536 443\r\n", "port over 65535")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 056324 443\r\n", "port with leading zero")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 -1 443\r\n", "negative port")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 +1 443\r\n", "signed port")]
    [InlineData("PROXY \r\n", "no protocol")]
    [InlineData("PROXY UNKNOWNX\r\n", "UNKNOWN glued to more")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 56324 4\u00e93\r\n", "non-ASCII byte")]
    [InlineData("PROXY TCP4 192.0.2.10 198.51.100.1 56324 4\t3\r\n", "control byte")]
    [InlineData("PROXX TCP4 192.0.2.10 198.51.100.1 56324 443\r\n", "wrong prefix")]
    [InlineData("proxy TCP4 192.0.2.10 198.51.100.1 56324 443\r\n", "lower-case prefix")]
    [InlineData("GET / HTTP/1.1\r\n", "HTTP")]
    public void Parse_InvalidV1_IsInvalid(string line, string why)
    {
        byte[] bytes = System.Text.Encoding.Latin1.GetBytes(line);

        ProxyParseStatus status = ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes), out _, out string? error);

        Assert.True(status == ProxyParseStatus.Invalid, why);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Parse_V1WithoutCrlfWithin107Bytes_IsInvalid()
    {
        byte[] bytes = ProxyHeaders.V1("PROXY UNKNOWN " + new string('x', 200));

        Assert.Equal(ProxyParseStatus.NeedMoreData, ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes, 0, 106), out _, out _));
        Assert.Equal(ProxyParseStatus.Invalid, ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes, 0, 107), out _, out _));
    }

    [Fact]
    public void Parse_V1WithCrLfAt108_IsInvalid()
    {
        byte[] bytes = ProxyHeaders.V1("PROXY UNKNOWN " + new string('x', 92) + "\r\n");

        Assert.Equal(108, bytes.Length);
        Assert.Equal(ProxyParseStatus.Invalid, ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes), out _, out _));
    }

    public static TheoryData<string, byte[], string?, string?> GoodV2 => new()
    {
        { "IPv4", ProxyHeaders.V2Inet(Client4, Server4), "192.0.2.10:56324", "198.51.100.1:443" },
        { "IPv6", ProxyHeaders.V2Inet(Client6, Server6), "[2001:db8::10]:1", "[2001:db8:ffff::1]:65535" },
        { "IPv4 with TLVs", ProxyHeaders.V2Inet(Client4, Server4, [0x04, 0x00, 0x03, 1, 2, 3, 0x20, 0x00, 0x00]), "192.0.2.10:56324", "198.51.100.1:443" },
        { "Unix", ProxyHeaders.V2Unix("/run/client.sock", "/run/server.sock"), "/run/client.sock", "/run/server.sock" },
        { "Unix unnamed client", ProxyHeaders.V2Unix("", "/run/server.sock"), null, "/run/server.sock" },
        { "LOCAL, no block", ProxyHeaders.V2(0x20, 0x00, []), null, null },
        { "LOCAL with an IPv4 block", ProxyHeaders.V2(0x20, 0x11, new byte[12]), null, null },
        { "PROXY UNSPEC", ProxyHeaders.V2(0x21, 0x00, [1, 2, 3]), null, null },
    };

    [Theory]
    [MemberData(nameof(GoodV2))]
    public void Parse_ValidV2_ReturnsEndpointsAndLength(string name, byte[] headerBytes, string? source, string? destination)
    {
        byte[] bytes = [.. headerBytes, .. "app"u8];

        ProxyParseStatus status = ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes), out ProxyHeader header, out string? error);

        Assert.True(status == ProxyParseStatus.Parsed, $"{name}: {error}");
        Assert.Equal(2, header.Version);
        Assert.Equal(headerBytes.Length, header.Length);
        Assert.Equal(source, header.Source?.ToString());
        Assert.Equal(destination, header.Destination?.ToString());
    }

    [Fact]
    public void Parse_V2Unix_GivesUnixEndPoints()
    {
        ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(ProxyHeaders.V2Unix("/a", "/b")), out ProxyHeader header, out _);

        Assert.IsType<UnixDomainSocketEndPoint>(header.Source);
    }

    [Fact]
    public void Parse_V2WithLargestLength_WaitsForAllOfIt()
    {
        byte[] bytes = ProxyHeaders.V2(0x21, 0x11, new byte[ushort.MaxValue]);

        Assert.Equal(ProxyParseStatus.NeedMoreData, ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes, 0, bytes.Length - 1), out _, out _));
        Assert.Equal(ProxyParseStatus.Parsed, ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes), out ProxyHeader header, out _));
        Assert.Equal(ProxyHeaderParser.MaxLength, header.Length);
    }

    public static TheoryData<string, byte[]> BadV2 => new()
    {
        { "version 1 in binary", ProxyHeaders.V2(0x11, 0x11, new byte[12]) },
        { "version 3", ProxyHeaders.V2(0x31, 0x11, new byte[12]) },
        { "command 2", ProxyHeaders.V2(0x22, 0x11, new byte[12]) },
        { "command 15", ProxyHeaders.V2(0x2F, 0x11, new byte[12]) },
        { "family 4", ProxyHeaders.V2(0x21, 0x41, new byte[12]) },
        { "transport 3", ProxyHeaders.V2(0x21, 0x13, new byte[12]) },
        { "INET with UNSPEC transport", ProxyHeaders.V2(0x21, 0x10, new byte[12]) },
        { "UNSPEC family with STREAM", ProxyHeaders.V2(0x21, 0x01, []) },
        { "LOCAL with an undefined family", ProxyHeaders.V2(0x20, 0x51, []) },
        { "UDP over IPv4", ProxyHeaders.V2(0x21, 0x12, new byte[12]) },
        { "UDP over IPv6", ProxyHeaders.V2(0x21, 0x22, new byte[36]) },
        { "Unix datagram", ProxyHeaders.V2(0x21, 0x32, new byte[216]) },
        { "IPv4 block too short", ProxyHeaders.V2(0x21, 0x11, new byte[11]) },
        { "IPv6 block too short", ProxyHeaders.V2(0x21, 0x21, new byte[35]) },
        { "IPv6 with an IPv4-sized block", ProxyHeaders.V2(0x21, 0x21, new byte[12]) },
        { "Unix block too short", ProxyHeaders.V2(0x21, 0x31, new byte[215]) },
        { "Unix path without NUL", ProxyHeaders.V2(0x21, 0x31, Enumerable.Repeat((byte)'a', 216).ToArray()) },
        { "Unix path not UTF-8", ProxyHeaders.V2(0x21, 0x31, [0xFF, 0xFE, .. new byte[214]]) },
        { "signature off by one byte", [.. ProxyHeaders.Signature[..11], 0x0B, 0x21, 0x11, 0x00, 0x0C, .. new byte[12]] },
        { "TLS ClientHello", [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03, 0, 0, 0, 0, 0] },
        { "a frame", Frames.Json("{\"action\": \"search\", \"value\": \"x\"}") },
    };

    [Theory]
    [MemberData(nameof(BadV2))]
    public void Parse_InvalidV2_IsInvalid(string name, byte[] bytes)
    {
        ProxyParseStatus status = ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes), out _, out string? error);

        Assert.True(status == ProxyParseStatus.Invalid, name);
        Assert.False(string.IsNullOrEmpty(error));
    }

    public static TheoryData<byte[]> EveryGoodHeader()
    {
        var data = new TheoryData<byte[]>();
        foreach (object[] row in GoodV1)
        {
            data.Add(ProxyHeaders.V1((string)row[0]));
        }

        foreach (object[] row in GoodV2)
        {
            data.Add((byte[])row[1]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryGoodHeader))]
    public void Parse_ValidHeaderCutAtEveryByte_NeedsMoreDataUntilComplete(byte[] headerBytes)
    {
        byte[] bytes = [.. headerBytes, .. "PROXY "u8];
        ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes), out ProxyHeader expected, out _);

        for (int received = 0; received < headerBytes.Length; received++)
        {
            ProxyParseStatus partial = ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes, 0, received), out _, out string? error);
            Assert.True(partial == ProxyParseStatus.NeedMoreData, $"{received} byte(s): {partial} {error}");
        }

        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            ReadOnlySequence<byte> split = Frames.Segmented(bytes, cut);
            Assert.Equal(ProxyParseStatus.Parsed, ProxyHeaderParser.Parse(split, out ProxyHeader header, out _));
            Assert.Equal(expected, header);
        }

        ReadOnlySequence<byte> byteByByte = Frames.Segmented(bytes, [.. Enumerable.Range(1, bytes.Length - 1)]);
        Assert.Equal(ProxyParseStatus.Parsed, ProxyHeaderParser.Parse(byteByByte, out ProxyHeader oneByOne, out _));
        Assert.Equal(expected, oneByOne);
    }

    [Theory]
    [MemberData(nameof(BadV2))]
    public void Parse_InvalidHeaderCutAtEveryByte_NeverParses(string name, byte[] bytes)
    {
        for (int received = 0; received <= bytes.Length; received++)
        {
            ProxyParseStatus status = ProxyHeaderParser.Parse(Frames.Segmented(bytes[..received], received / 2), out _, out _);
            Assert.True(status != ProxyParseStatus.Parsed, $"{name}, {received} byte(s)");
        }
    }

    [Theory]
    [InlineData(new byte[] { (byte)'G' })]
    [InlineData(new byte[] { 0x0D, 0x0A, 0x0D, 0x0A, 0x01 })]
    [InlineData(new byte[] { (byte)'P', (byte)'R', (byte)'O', (byte)'X', (byte)'Y', (byte)'\t' })]
    public void Parse_WrongFirstBytes_RefusedAtOnce(byte[] bytes)
    {
        Assert.Equal(ProxyParseStatus.Invalid, ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes), out _, out _));
    }

    [Theory]
    [InlineData(0x31)]
    [InlineData(0x22)]
    public void Parse_BadV2VersionOrCommand_RefusedBeforeTheLength(byte versionCommand)
    {
        byte[] bytes = [.. ProxyHeaders.Signature, versionCommand];

        Assert.Equal(ProxyParseStatus.Invalid, ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes), out _, out _));
    }

    [Fact]
    public void Parse_Empty_NeedsMoreData()
    {
        Assert.Equal(ProxyParseStatus.NeedMoreData, ProxyHeaderParser.Parse(ReadOnlySequence<byte>.Empty, out _, out _));
    }
}
