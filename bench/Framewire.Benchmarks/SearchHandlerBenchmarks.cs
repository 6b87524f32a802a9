using System.Buffers;
using System.Net;
using BenchmarkDotNet.Attributes;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Engines.Internal;
using Framewire.Engines.Internal.Connections;
using Framewire.Internal;
using Framewire.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Framewire.Benchmarks;

/// <summary>
/// <see cref="SearchHandler"/> answering one request, in memory:
/// <list type="bullet">
/// <item><c>Engine_*</c>: the whole per-request path of the server engine, <c>FrameApplication.Process</c>
/// (decode, handler, encode the answer into the output), as a connection runs it for a read that holds one frame;</item>
/// <item><c>Handler_*</c>: only <see cref="SearchHandler.HandleAsync"/> on an already decoded frame.</item>
/// </list>
/// Outputs are reset and reused, as a connection's output buffer is.
/// </summary>
[MemoryDiagnoser]
public class SearchHandlerBenchmarks
{
    private readonly SearchHandler _handler = new();
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    // The search and binary paths never queue work, so the pool starts no thread.
    private readonly WorkerPool _workers = new(threadCount: 1, queueLength: 1);
    private FrameApplication _application = null!;
    private ConnectionPolicy _policy = null!;
    private ConnectionStats _stats = null!;
    private MessageContext _context = null!;
    private ReadOnlySequence<byte> _hit;
    private ReadOnlySequence<byte> _miss;
    private ReadOnlySequence<byte> _binary;
    private Frame _hitFrame;
    private Frame _missFrame;

    [GlobalSetup]
    public void Setup()
    {
        var connection = new ConnectionInfo(1, new IPEndPoint(IPAddress.Loopback, 50000), new IPEndPoint(IPAddress.Loopback, 65432));
        _application = new FrameApplication(new FrameApplication.Settings(_handler, FrameLimits.Default, _workers, NullLogger.Instance, ServerMetrics.Async, CancellationToken.None), connection);
        _policy = new ConnectionPolicy(new ConnectionLimits(new MessageServerOptions()), connection.Stats);
        _policy.Target = _output;
        _stats = connection.Stats;
        _context = new MessageContext(connection, _workers);
        _hit = new ReadOnlySequence<byte>(Inputs.SearchRequest("morpheus"));
        _miss = new ReadOnlySequence<byte>(Inputs.SearchRequest("k"));
        _binary = new ReadOnlySequence<byte>(Inputs.BinaryRequest(64));
        _hitFrame = DecodeOne(_hit);
        _missFrame = DecodeOne(_miss);
    }

    [GlobalCleanup]
    public void Cleanup() => _workers.Dispose();

    [Benchmark(Baseline = true)]
    public int Engine_SearchHit() => Process(_hit);

    [Benchmark]
    public int Engine_SearchMiss() => Process(_miss);

    [Benchmark]
    public int Engine_Binary_64B() => Process(_binary);

    [Benchmark]
    public int Handler_SearchHit() => Handle(_hitFrame);

    [Benchmark]
    public int Handler_SearchMiss() => Handle(_missFrame);

    private static Frame DecodeOne(ReadOnlySequence<byte> buffer)
    {
        var decoder = new FrameDecoder();
        return decoder.Decode(ref buffer, out Frame frame, out ProtocolError error) == DecodeStatus.Frame
            ? frame
            : throw new InvalidOperationException($"The benchmark frame did not decode: {error.Message}");
    }

    private int Process(ReadOnlySequence<byte> input)
    {
        _output.ResetWrittenCount();
        ProcessStatus status = _application.Process(ref input, _policy);
        if (status != ProcessStatus.NeedMoreData || !input.IsEmpty)
        {
            throw new InvalidOperationException($"Unexpected status {status}.");
        }

        // As an engine does once the socket took the answer: the read-ahead count starts over.
        _stats.AddBytesSent(_output.WrittenCount);
        _policy.OnDrained();
        return _output.WrittenCount;
    }

    private int Handle(in Frame request)
    {
        _output.ResetWrittenCount();
        _context.Begin(request, _output);
        ValueTask handled = _handler.HandleAsync(_context, CancellationToken.None);
        if (!handled.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("The search handler is synchronous.");
        }

        _context.End();
        return _output.WrittenCount;
    }
}
