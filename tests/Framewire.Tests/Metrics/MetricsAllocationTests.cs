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
        InMemoryApplication connection = InMemoryApplication.Create(new FixedAnswer(), workers, ServerMetrics.Selector);
        var request = new ReadOnlySequence<byte>(Frames.Json("{\"action\": \"search\", \"value\": \"morpheus\"}"));

        Assert.Equal(0, Allocations.OfWarm(() => Process(connection, request)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Recording_connection_figures_allocates_nothing(bool listening)
    {
        using var recorder = listening ? new MetricsRecorder(ignoreMeasurements: true) : null;
        ConnectionInfo connection = InMemoryApplication.Connection();
        var registry = new ConnectionRegistry { Metrics = ServerMetrics.Async };
        connection.Stats.Attach(registry);
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

    private static void Process(InMemoryApplication connection, ReadOnlySequence<byte> request)
    {
        connection.Written.ResetWrittenCount();
        ReadOnlySequence<byte> input = request;
        if (connection.Process(ref input) != Framewire.Engines.ProcessStatus.NeedMoreData || connection.Written.WrittenCount != Answer.Length)
        {
            throw new InvalidOperationException("The request was not answered.");
        }

        connection.Drain();
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
