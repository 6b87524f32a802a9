using System.Buffers;
using BenchmarkDotNet.Attributes;
using Framewire.Protocol;

namespace Framewire.Benchmarks;

/// <summary>
/// <see cref="FrameDecoder.Decode"/> of one whole frame from a buffer that holds exactly that frame, as the engine
/// calls it once a read has completed a frame. The decoder is reused, as it is per connection.
/// </summary>
[MemoryDiagnoser]
public class FrameDecoderBenchmarks
{
    private readonly FrameDecoder _decoder = new();
    private ReadOnlySequence<byte> _search;
    private ReadOnlySequence<byte> _smallBinary;
    private ReadOnlySequence<byte> _largeBinary;
    private ReadOnlySequence<byte> _largeBinarySegmented;

    [GlobalSetup]
    public void Setup()
    {
        _search = new ReadOnlySequence<byte>(Inputs.SearchRequest("morpheus"));
        _smallBinary = new ReadOnlySequence<byte>(Inputs.BinaryRequest(64));
        byte[] large = Inputs.BinaryRequest(64 * 1024);
        _largeBinary = new ReadOnlySequence<byte>(large);

        // The first segment ends inside the JSON header, so the header is joined from two segments too.
        _largeBinarySegmented = Inputs.Segmented(large, firstSegment: 40);
    }

    [Benchmark(Baseline = true)]
    public int SearchRequest_Json() => Decode(_search);

    [Benchmark]
    public int Binary_64B() => Decode(_smallBinary);

    [Benchmark]
    public int Binary_64KiB_SingleSegment() => Decode(_largeBinary);

    [Benchmark]
    public int Binary_64KiB_Segmented() => Decode(_largeBinarySegmented);

    private int Decode(ReadOnlySequence<byte> buffer)
    {
        if (_decoder.Decode(ref buffer, out Frame frame, out ProtocolError error) != DecodeStatus.Frame)
        {
            throw new InvalidOperationException($"The benchmark frame did not decode: {error.Message}");
        }

        return frame.Header.ContentLength;
    }
}
