using System.Buffers;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Engines.Internal;
using Framewire.Internal;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Engines;

/// <summary>The read-ahead limits on the frame application, without sockets: where it stops decoding, and when it goes on.</summary>
public sealed class ReadAheadTests : IDisposable
{
    private readonly WorkerPool _workers = new(threadCount: 1, queueLength: 1);

    [Fact]
    public void MaxInFlight_PausesAfterThatManyAnswersUntilTheOutputDrains()
    {
        InMemoryApplication connection = Create(answerBytes: 10, maxInFlight: 4, highWater: long.MaxValue);
        byte[] request = Frames.Binary("x"u8);
        var input = new ReadOnlySequence<byte>(Pipelined(request, 10));

        Assert.Equal(ProcessStatus.Paused, connection.Process(ref input));
        Assert.Equal(6 * request.Length, input.Length);
        Assert.Equal(4, connection.Policy.UnsentMessages);

        // Still paused: nothing was sent.
        Assert.Equal(ProcessStatus.Paused, connection.Process(ref input));
        Assert.Equal(6 * request.Length, input.Length);

        connection.Drain();
        Assert.Equal(ProcessStatus.Paused, connection.Process(ref input));
        Assert.Equal(2 * request.Length, input.Length);

        connection.Drain();
        Assert.Equal(ProcessStatus.NeedMoreData, connection.Process(ref input));
        Assert.True(input.IsEmpty);
        Assert.Equal(10 * 10, connection.Written.WrittenCount);
    }

    [Fact]
    public void SendHighWater_PausesOnceTheAnswersReachIt()
    {
        InMemoryApplication connection = Create(answerBytes: 1000, maxInFlight: 100, highWater: 2500);
        byte[] request = Frames.Binary("x"u8);
        var input = new ReadOnlySequence<byte>(Pipelined(request, 10));

        Assert.Equal(ProcessStatus.Paused, connection.Process(ref input));

        Assert.Equal(3000, connection.Written.WrittenCount);
        Assert.Equal(7 * request.Length, input.Length);
    }

    [Fact]
    public void WithinTheLimits_NoPauseAndNoAllocation()
    {
        InMemoryApplication connection = Create(answerBytes: 100, maxInFlight: 16, highWater: 64 * 1024);
        var request = new ReadOnlySequence<byte>(Pipelined(Frames.Binary("x"u8), 8));
        Assert.Equal(0, Allocations.OfWarm(() => Run(connection, request)));
    }

    public void Dispose() => _workers.Dispose();

    private static void Run(InMemoryApplication connection, ReadOnlySequence<byte> request)
    {
        connection.Written.ResetWrittenCount();
        ReadOnlySequence<byte> input = request;
        if (connection.Process(ref input) != ProcessStatus.NeedMoreData || connection.Written.WrittenCount != 800)
        {
            throw new InvalidOperationException("The requests were not all answered.");
        }

        connection.Drain();
    }

    private static byte[] Pipelined(byte[] frame, int count)
    {
        byte[] all = new byte[frame.Length * count];
        for (int i = 0; i < count; i++)
        {
            frame.CopyTo(all, i * frame.Length);
        }

        return all;
    }

    private InMemoryApplication Create(int answerBytes, int maxInFlight, long highWater) =>
        InMemoryApplication.Create(new FixedSizeAnswer(answerBytes), _workers, ServerMetrics.Selector, maxInFlight, highWater);

    private sealed class FixedSizeAnswer(int size) : IMessageHandler
    {
        private readonly byte[] _answer = new byte[size];

        public ValueTask HandleAsync(MessageContext context, CancellationToken cancellationToken)
        {
            context.RespondEncoded(_answer);
            return default;
        }
    }
}
