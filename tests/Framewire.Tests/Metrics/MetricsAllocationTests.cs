using System.Buffers;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Framewire.Engines.Internal;
using Framewire.Internal;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Metrics;

/// <summary>Recording the meter's measurements must not make the per-message path allocate, listened to or not.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsAllocationTests
{
    private static readonly byte[] Answer = Frames.Json("{\"result\": \"ok\"}");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Processing_a_frame_allocates_nothing(bool listening)
    {
        using var recorder = listening ? new MetricsRecorder(ignoreMeasurements: true) : null;
        using var workers = new WorkerPool(threadCount: 1, queueLength: 1);
        FrameApplication protocol = InMemoryApplication.Create(new FixedAnswer(), workers, ServerMetrics.Selector);
        var request = new ReadOnlySequence<byte>(Frames.Json("{\"action\": \"search\", \"value\": \"morpheus\"}"));
        var output = new ArrayBufferWriter<byte>(64 * 1024);

        Assert.Equal(0, Allocations.OfWarm(() => Process(protocol, request, output)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Recording_connection_figures_allocates_nothing(bool listening)
    {
        using var recorder = listening ? new MetricsRecorder(ignoreMeasurements: true) : null;
        ConnectionInfo connection = InMemoryApplication.Connection();
        var registry = new ConnectionRegistry();
        connection.Stats.Attach(registry, ServerMetrics.Async);
        registry.Add(connection.Stats);

        Assert.Equal(0, Allocations.OfWarm(() => Record(connection.Stats)));
        Assert.Equal(1100 * 120, registry.GetStatistics(Framewire.Engines.ServerEngine.Async, 1).BytesSent);
    }

    private static void Record(ConnectionStats stats)
    {
        stats.AddBytesReceived(60);
        stats.SetState(Framewire.Engines.ConnectionState.Processing);
        stats.FrameReceived();
        stats.FrameSent();
        stats.RequestEnded();
        stats.AddBytesSent(120);
        stats.SetState(Framewire.Engines.ConnectionState.Idle);
    }

    private static void Process(FrameApplication protocol, ReadOnlySequence<byte> request, ArrayBufferWriter<byte> output)
    {
        output.ResetWrittenCount();
        ReadOnlySequence<byte> input = request;
        if (protocol.Process(ref input, output) != ProcessStatus.NeedMoreData || output.WrittenCount != Answer.Length)
        {
            throw new InvalidOperationException("The request was not answered.");
        }
    }

    private sealed class FixedAnswer : IMessageHandler
    {
        public ValueTask HandleAsync(MessageContext context, CancellationToken cancellationToken)
        {
            context.RespondEncoded(Answer);
            return default;
        }
    }
}
