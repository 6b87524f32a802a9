using System.Buffers;
using System.Text;
using Framewire.Cli.Admin;

namespace Framewire.Tests.Cli;

/// <summary>The admin endpoint's HTTP request heads: what is read, what is refused, and which hosts are this machine.</summary>
public sealed class HttpRequestHeadTests
{
    [Fact]
    public void TryRead_CompleteHead_GivesMethodPathWithoutQueryAndHost_AndConsumesOnlyTheHead()
    {
        ReadOnlySequence<byte> input = Bytes("GET /api/status?x=1 HTTP/1.1\r\nhost: 127.0.0.1:9100\r\nAccept: */*\r\n\r\nrest");

        Assert.Equal(HttpHeadStatus.Complete, HttpRequestHead.TryRead(ref input, out HttpRequestHead head));

        Assert.Equal(new HttpRequestHead("GET", "/api/status", "127.0.0.1:9100"), head);
        Assert.Equal("rest", Encoding.ASCII.GetString(input.ToArray()));
    }

    [Fact]
    public void TryRead_HeadNotEnded_IsIncompleteAndLeavesTheInput()
    {
        const string Partial = "GET / HTTP/1.1\r\nHost: localhost\r\n";
        ReadOnlySequence<byte> input = Bytes(Partial);

        Assert.Equal(HttpHeadStatus.Incomplete, HttpRequestHead.TryRead(ref input, out _));
        Assert.Equal(Partial.Length, input.Length);
    }

    [Fact]
    public void TryRead_HeadLongerThanTheLimit_IsTooLarge_EndedOrNot()
    {
        string header = "X-Filler: " + new string('a', HttpRequestHead.MaxLength) + "\r\n";
        ReadOnlySequence<byte> unended = Bytes("GET / HTTP/1.1\r\n" + header);
        ReadOnlySequence<byte> ended = Bytes("GET / HTTP/1.1\r\n" + header + "\r\n");

        Assert.Equal(HttpHeadStatus.TooLarge, HttpRequestHead.TryRead(ref unended, out _));
        Assert.Equal(HttpHeadStatus.TooLarge, HttpRequestHead.TryRead(ref ended, out _));
    }

    [Theory]
    [InlineData("GET /\r\n\r\n")]
    [InlineData("GET / HTTP/2\r\n\r\n")]
    [InlineData("GET api HTTP/1.1\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nno colon here\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n")]
    public void TryRead_NotAnHttp1RequestHead_IsMalformed(string text)
    {
        ReadOnlySequence<byte> input = Bytes(text);

        Assert.Equal(HttpHeadStatus.Malformed, HttpRequestHead.TryRead(ref input, out _));
    }

    [Theory]
    [InlineData("127.0.0.1:9100", true)]
    [InlineData("127.1.2.3", true)]
    [InlineData("localhost:9100", true)]
    [InlineData("LOCALHOST", true)]
    [InlineData("[::1]:9100", true)]
    [InlineData(null, true)]
    [InlineData("evil.example:9100", false)]
    [InlineData("localhost.evil.example", false)]
    [InlineData("192.0.2.1:9100", false)]
    [InlineData("[2001:db8::1]:9100", false)]
    public void IsForLoopback_OnlyNamesOfThisMachine(string? host, bool expected)
    {
        Assert.Equal(expected, new HttpRequestHead("GET", "/", host).IsForLoopback());
    }

    private static ReadOnlySequence<byte> Bytes(string text) => new(Encoding.ASCII.GetBytes(text));
}
