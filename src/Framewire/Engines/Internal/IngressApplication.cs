using System.Buffers;
using System.Diagnostics;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Framewire.Protocol;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal;

/// <summary>
/// The frame protocol in the pull model: each decoded frame becomes an <see cref="IncomingMessage"/> in the
/// <see cref="IngressQueue"/>, and its answer, given later on any thread, is sent in the connection's request order.
/// The engine calls this on the connection's thread; an answer given elsewhere wakes the connection, which sends
/// every answer ready at the front of its line.
/// </summary>
/// <remarks>
/// Input stops (<see cref="ProcessStatus.Pending"/>) while the queue is full, until it has room; and while
/// <see cref="MessageServerOptions.MaxInFlight"/> messages wait for their answers, until the oldest is answered. At
/// the end of input the connection waits for the answers it owes (<see cref="ConnectionApplication.AnswersOwed"/>)
/// before it closes. Broken framing is refused, as by the push model, once the answers before it are out.
/// </remarks>
internal sealed class IngressApplication : ConnectionApplication
{
    private readonly IngressQueue _queue;
    private readonly FrameDecoder _decoder;
    private readonly ConnectionInfo _connection;
    private readonly ConnectionStats _stats;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _maxOwed;
    private readonly ChecksumAlgorithm _checksum;

    // Decoded and not yet sent, oldest first: the order answers leave in. The connection's thread only.
    private readonly Queue<IncomingMessage> _owed = new();

    // Decoded, but the queue was full: it goes in first when the queue has room.
    private IncomingMessage? _held;

    // Broken framing after answers still owed: refused once they are out.
    private ProtocolError? _refusal;
    private Task? _pending;
    private ConnectionPolicy? _policy;

    // 1 once an answer has asked the engine to call again and it has not yet: answers given together wake it once.
    private int _wakeRequested;

    // Set while the engine waits for an answer (PendingWork, or the answers owed at the end of input).
    private TaskCompletionSource? _answerWaiter;

    // Made at the first wait for room in the queue; cancelled when the connection is aborted.
    private CancellationTokenSource? _roomWait;
    private int _abandoned;

    public IngressApplication(IngressQueue queue, FrameLimits limits, int maxOwed, ConnectionInfo connection, ILogger logger, ServerMetrics metrics, ChecksumAlgorithm checksum = ChecksumAlgorithm.None)
    {
        _checksum = checksum;
        _queue = queue;
        _decoder = new FrameDecoder(limits);
        _connection = connection;
        _stats = connection.Stats;
        _maxOwed = maxOwed;
        _logger = logger;
        _metrics = metrics;
    }

    public override Task? PendingWork => _pending;

    public override ProcessStatus Process(ref ReadOnlySequence<byte> input, ConnectionOutput output)
    {
        _policy ??= output as ConnectionPolicy;
        _pending = null;
        if (Volatile.Read(ref _abandoned) != 0)
        {
            CloseError = new ProtocolError(ErrorCode.ShuttingDown, "The connection was aborted.");
            return ProcessStatus.Close;
        }

        // Cleared before the answers are looked at: an answer given from now on wakes the engine again.
        Interlocked.Exchange(ref _wakeRequested, 0);
        Interlocked.Exchange(ref _answerWaiter, null);
        SendAnswered(output);

        if (_held is IncomingMessage held)
        {
            if (!_queue.Writer.TryWrite(held))
            {
                return WaitForRoom();
            }

            _held = null;
        }

        if (_refusal is ProtocolError refusal)
        {
            return _owed.Count == 0 ? Refuse(refusal, output) : WaitForAnswer();
        }

        while (!input.IsEmpty)
        {
            if (output.IsFull)
            {
                // Far enough ahead of the client: what is left waits in the input, and reading stops with it.
                return ProcessStatus.Paused;
            }

            if (_owed.Count >= _maxOwed)
            {
                return WaitForAnswer();
            }

            DecodeStatus status = _decoder.Decode(ref input, out Frame frame, out ProtocolError error);
            if (status == DecodeStatus.NeedMoreData)
            {
                break;
            }

            if (status == DecodeStatus.Error)
            {
                if (_owed.Count == 0)
                {
                    return Refuse(error, output);
                }

                // The answers before it first, in order; nothing after it is read.
                _refusal = error;
                input = input.Slice(input.End);
                return WaitForAnswer();
            }

            _metrics.FrameReceived();
            _stats.FrameReceived();
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                ServerLog.RequestReceived(_logger, _connection.Id, frame.Header.ContentType, frame.Header.ContentLength);
            }

            IncomingMessage message = _queue.Rent();
            message.Begin(this, _connection, frame, ServerMetrics.DurationEnabled ? Stopwatch.GetTimestamp() : 0, _checksum);
            _owed.Enqueue(message);
            _policy?.SetAnswersOwed(_owed.Count);
            if (!ContentChecksum.TryVerify(frame, out ProtocolError checksumError))
            {
                // The frame is intact, only its content is not what was sent: refused in its turn, without the node
                // seeing it, and the connection goes on.
                message.Refuse(checksumError);
                SendAnswered(output);
                continue;
            }

            if (!_queue.Writer.TryWrite(message))
            {
                _held = message;
                return WaitForRoom();
            }
        }

        return ProcessStatus.NeedMoreData;
    }

    public override MessageProgress GetProgress(bool hasUnconsumedInput) =>
        _decoder.IsAwaitingContent ? MessageProgress.Content
        : hasUnconsumedInput && _refusal is null ? MessageProgress.Header
        : MessageProgress.None;

    internal override Task? AnswersOwed
    {
        get
        {
            if (_held is not null)
            {
                // The message still to queue: its answer cannot come before the queue takes it.
                WaitForRoom();
                return _pending;
            }

            if (_owed.Count == 0)
            {
                return null;
            }

            WaitForAnswer();
            return _pending;
        }
    }

    public override void OnIncompleteMessage(CloseReason reason, ConnectionOutput output)
    {
        SendAnswered(output);

        // Only at the front of the line would the client take the error frame for this frame's answer.
        if (_owed.Count == 0 && _held is null)
        {
            FrameAnswers.Refuse(output, FrameAnswers.Incomplete(reason), _metrics, _stats, _logger, _checksum);
        }
    }

    /// <summary>An answer was given, on any thread: the engine sends it in its turn.</summary>
    internal void OnAnswered()
    {
        if (Volatile.Read(ref _answerWaiter) is TaskCompletionSource waiter)
        {
            waiter.TrySetResult();
        }
        else if (Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            _policy?.Wake();
        }
    }

    private void SendAnswered(ConnectionOutput output)
    {
        if (_owed.Count == 0)
        {
            return;
        }

        while (_owed.TryPeek(out IncomingMessage? message) && message.IsAnswered)
        {
            _owed.Dequeue();
            output.Write(message.AnswerFrame);
            output.CompleteMessage();
            FrameAnswers.Count(_metrics, _stats, message.ErrorAnswered);
            _metrics.RequestFinished(message.ReceivedTimestamp);
            message.Sent();
        }

        _policy?.SetAnswersOwed(_owed.Count);
        if (_owed.Count == 0)
        {
            _stats.RequestEnded();
        }
    }

    internal override void Abandon()
    {
        // Interlocked, as the wait for room publishes its source: one of the two sees the other.
        Interlocked.Exchange(ref _abandoned, 1);
        Interlocked.Exchange(ref _answerWaiter, null)?.TrySetResult();
        try
        {
            Volatile.Read(ref _roomWait)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private ProcessStatus WaitForRoom()
    {
        // Only a full queue pays for a task, and for the source that ends the wait if the connection is aborted.
        if (_roomWait is null)
        {
            Interlocked.Exchange(ref _roomWait, new CancellationTokenSource());
            if (Volatile.Read(ref _abandoned) != 0)
            {
                _roomWait.Cancel();
            }
        }

        _pending = _queue.Writer.WaitToWriteAsync(_roomWait.Token).AsTask();
        return ProcessStatus.Pending;
    }

    private ProcessStatus WaitForAnswer()
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending = waiter.Task;

        // Published before the front of the line is looked at again: an answer given meanwhile either sees the waiter
        // or is seen here (Publish in IncomingMessage is interlocked too).
        Interlocked.Exchange(ref _answerWaiter, waiter);
        if ((_owed.TryPeek(out IncomingMessage? first) && first.IsAnswered) || Volatile.Read(ref _abandoned) != 0)
        {
            waiter.TrySetResult();
        }

        return ProcessStatus.Pending;
    }

    private ProcessStatus Refuse(ProtocolError error, IBufferWriter<byte> output)
    {
        CloseError = error;
        FrameAnswers.Refuse(output, error, _metrics, _stats, _logger, _checksum);
        return ProcessStatus.Close;
    }
}
