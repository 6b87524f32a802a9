using Framewire.Engines.Internal.Connections;
using Framewire.Engines.Internal;

namespace Framewire.Tests.Engines;

public class PrefixedStreamTests
{
    [Fact]
    public async Task ReadAsync_PrefixThenInner_InOrderAcrossSmallReads()
    {
        using var inner = new MemoryStream("world"u8.ToArray());
        await using var stream = new PrefixedStream("hello "u8.ToArray(), inner);
        var read = new List<byte>();
        byte[] buffer = new byte[4];

        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            read.AddRange(buffer[..n]);
        }

        Assert.Equal("hello world"u8.ToArray(), read.ToArray());
    }

    [Fact]
    public async Task ReadAsync_ZeroBytesWithPrefixLeft_ConsumesNothing()
    {
        using var inner = new MemoryStream();
        await using var stream = new PrefixedStream("ab"u8.ToArray(), inner);

        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        byte[] buffer = new byte[8];
        Assert.Equal(2, await stream.ReadAsync(buffer));
        Assert.Equal((byte)'a', buffer[0]);
    }

    [Fact]
    public async Task WriteAsync_GoesToInner()
    {
        using var inner = new MemoryStream();
        await using var stream = new PrefixedStream("ignored"u8.ToArray(), inner);

        await stream.WriteAsync("out"u8.ToArray());

        Assert.Equal("out"u8.ToArray(), inner.ToArray());
    }
}
