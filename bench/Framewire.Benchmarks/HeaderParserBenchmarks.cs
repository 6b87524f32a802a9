using BenchmarkDotNet.Attributes;
using Framewire.Protocol;
using Framewire.Protocol.Internal;

namespace Framewire.Benchmarks;

/// <summary>
/// The tutorial client's request header read by the flat-header fast path (what the decoder uses first) and by the
/// full JSON parser it falls back to, side by side in one run.
/// </summary>
[MemoryDiagnoser]
public class HeaderParserBenchmarks
{
    private readonly byte[] _header =
        """{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 41}"""u8.ToArray();

    [Benchmark(Baseline = true)]
    public int FullJsonParser() =>
        HeaderParser.TryParseAnyJson(_header, FrameLimits.Default.MaxContentLength, out FrameHeader header, out _) ? header.ContentLength : -1;

    [Benchmark]
    public int FlatHeaderScanner() =>
        Protocol.Internal.FlatHeaderScanner.TryScan(_header, FrameLimits.Default.MaxContentLength, out FrameHeader header) ? header.ContentLength : -1;
}
