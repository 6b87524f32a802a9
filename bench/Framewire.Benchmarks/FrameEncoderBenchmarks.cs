using System.Buffers;
using BenchmarkDotNet.Attributes;
using Framewire.Protocol;

namespace Framewire.Benchmarks;

/// <summary>
/// <see cref="FrameEncoder.Write(IBufferWriter{byte}, string, string, ReadOnlySpan{byte}, IReadOnlyList{HeaderField}?)"/>
/// of the same frames the decoder benchmarks read, into a writer that is reset and reused (its buffer
/// stays allocated), so only the encoder's own allocations are measured.
/// </summary>
[MemoryDiagnoser]
public class FrameEncoderBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(128 * 1024);
    private byte[] _searchContent = [];
    private byte[] _smallBinary = [];
    private byte[] _largeBinary = [];
    private ReadOnlySequence<byte> _largeBinarySegmented;

    [GlobalSetup]
    public void Setup()
    {
        _searchContent = Inputs.SearchContent("morpheus");
        _smallBinary = Inputs.BinaryContent(64);
        _largeBinary = Inputs.BinaryContent(64 * 1024);
        _largeBinarySegmented = Inputs.Segmented(_largeBinary, firstSegment: Inputs.SegmentSize);
    }

    [Benchmark(Baseline = true)]
    public int SearchRequest_Json()
    {
        _output.ResetWrittenCount();
        FrameEncoder.Write(_output, ContentTypes.Json, ContentTypes.Utf8, _searchContent);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int Binary_64B()
    {
        _output.ResetWrittenCount();
        FrameEncoder.Write(_output, ContentTypes.ClientBinary, ContentTypes.Binary, _smallBinary);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int Binary_64KiB_SingleSegment()
    {
        _output.ResetWrittenCount();
        FrameEncoder.Write(_output, ContentTypes.ClientBinary, ContentTypes.Binary, _largeBinary);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int Binary_64KiB_Segmented()
    {
        _output.ResetWrittenCount();
        FrameEncoder.Write(_output, ContentTypes.ClientBinary, ContentTypes.Binary, _largeBinarySegmented);
        return _output.WrittenCount;
    }
}
