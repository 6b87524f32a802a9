using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Framewire.Protocol;

namespace Framewire.Benchmarks;

/// <summary>
/// <see cref="ContentChecksum.TryVerify(in Frame, out ProtocolError)"/> of a decoded frame's content, as a server runs it
/// before each request that carries a <c>content-checksum</c>: 64 B and 16 KiB, whole and split into the 4 KiB segments
/// a pipe hands over, for both algorithms.
/// </summary>
[MemoryDiagnoser]
public class ContentChecksumBenchmarks
{
    private Frame _crc64;
    private Frame _crc16K;
    private Frame _crc16KSegmented;
    private Frame _sha64;
    private Frame _sha16K;

    [GlobalSetup]
    public void Setup()
    {
        byte[] small = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        byte[] large = Enumerable.Range(0, 16 * 1024).Select(i => (byte)(i * 31)).ToArray();
        _crc64 = FrameOf(ChecksumAlgorithm.Crc32C, small, new ReadOnlySequence<byte>(small));
        _crc16K = FrameOf(ChecksumAlgorithm.Crc32C, large, new ReadOnlySequence<byte>(large));
        _crc16KSegmented = FrameOf(ChecksumAlgorithm.Crc32C, large, Inputs.Segmented(large, firstSegment: 100));
        _sha64 = FrameOf(ChecksumAlgorithm.Sha256, small, new ReadOnlySequence<byte>(small));
        _sha16K = FrameOf(ChecksumAlgorithm.Sha256, large, new ReadOnlySequence<byte>(large));
    }

    [Benchmark(Baseline = true)]
    public bool Crc32C_64B() => Verify(_crc64);

    [Benchmark]
    public bool Crc32C_16KiB() => Verify(_crc16K);

    [Benchmark]
    public bool Crc32C_16KiB_Segmented() => Verify(_crc16KSegmented);

    [Benchmark]
    public bool Sha256_64B() => Verify(_sha64);

    [Benchmark]
    public bool Sha256_16KiB() => Verify(_sha16K);

    private static bool Verify(in Frame frame) =>
        ContentChecksum.TryVerify(frame, out ProtocolError error) ? true : throw new InvalidOperationException(error.Message);

    private static Frame FrameOf(ChecksumAlgorithm algorithm, byte[] content, ReadOnlySequence<byte> sequence)
    {
        Span<byte> value = stackalloc byte[ContentChecksum.MaxValueLength];
        string json = "\"" + Encoding.ASCII.GetString(value[..ContentChecksum.WriteValue(algorithm, content, value)]) + "\"";
        var header = new FrameHeader("little", ContentTypes.ClientBinary, ContentTypes.Binary, content.Length, [new HeaderField(ContentChecksum.HeaderName, json)]);
        return new Frame(header, sequence);
    }
}
