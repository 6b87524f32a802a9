using System.Buffers;
using System.Diagnostics;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Framewire.Internal;
using Framewire.Protocol;
using Framewire.Protocol.Internal;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal;

/// <summary>
/// The frame protocol on a connection: frames in, one handler call per frame, one response frame out, in order.
/// Broken framing is answered with an error frame and ends the connection; a refused request with intact framing is
/// answered and the connection goes on.
/// </summary>
internal sealed class FrameApplication : ConnectionApplication
{
    private readonly FrameDecoder _decoder;
    private readonly IMessageHandler _handler;
    private readonly MessageContext _context;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;
    private readonly ServerMetrics _metrics;
    private readonly ConnectionStats _stats;
    private readonly ChecksumAlgorithm _checksum;
    private Task? _pending;
    private long _requestStart;

    public FrameApplication(IMessageHandler handler, FrameLimits limits, ConnectionInfo connection, WorkerPool workers, ILogger logger, ServerMetrics metrics, CancellationToken stopping, ChecksumAlgorithm checksum = ChecksumAlgorithm.None)
    {
        _metrics = metrics;
        _checksum = checksum;
        _stats = connection.Stats;
        _decoder = new FrameDecoder(limits);
        _handler = handler;
        _context = new MessageContext(connection, workers, checksum);
        _logger = logger;
        _stopping = stopping;
    }

    public override Task? PendingWork => _pending;

    public override ProcessStatus Process(ref ReadOnlySequence<byte> input, ConnectionOutput output)
    {
        if (_pending is Task pending)
        {
            _pending = null;
            Finish(new ValueTask(pending), output);
        }

        while (true)
        {
            if (!input.IsEmpty && output.IsFull)
            {
                // Far enough ahead of the client: what is left waits in the input, and reading stops with it.
                return ProcessStatus.Paused;
            }

            DecodeStatus status = _decoder.Decode(ref input, out Frame frame, out ProtocolError error);
            if (status == DecodeStatus.NeedMoreData)
            {
                return ProcessStatus.NeedMoreData;
            }

            if (status == DecodeStatus.Error)
            {
                return Refuse(error, output);
            }

            _metrics.FrameReceived();
            _stats.FrameReceived();
            _requestStart = ServerMetrics.DurationEnabled ? Stopwatch.GetTimestamp() : 0;

            if (_logger.IsEnabled(LogLevel.Debug))
            {
                ServerLog.RequestReceived(_logger, _context.Connection.Id, frame.Header.ContentType, frame.Header.ContentLength);
            }

            _context.Begin(frame, output);
            if (!ContentChecksum.TryVerify(frame, out ProtocolError checksumError))
            {
                // The frame is intact, only its content is not what was sent: refused, and the connection goes on.
                _context.RespondError(checksumError);
                Finish(ValueTask.CompletedTask, output);
                continue;
            }

            ValueTask handled;
            try
            {
                handled = _handler.HandleAsync(_context, _stopping);
            }
            catch (Exception e)
            {
                handled = ValueTask.FromException(e);
            }

            if (!handled.IsCompleted)
            {
                // Only the slow path pays for a Task: engines wait on it once and then call again.
                _pending = handled.AsTask();
                return ProcessStatus.Pending;
            }

            Finish(handled, output);
        }
    }

    public override MessageProgress GetProgress(bool hasUnconsumedInput) =>
        _decoder.IsAwaitingContent ? MessageProgress.Content
        : hasUnconsumedInput ? MessageProgress.Header
        : MessageProgress.None;

    public override void OnIncompleteMessage(CloseReason reason, ConnectionOutput output) => Refuse(FrameAnswers.Incomplete(reason), output);

    public override void ReleaseBuffers() => _context.ReleaseBuffers();

    private ProcessStatus Refuse(ProtocolError error, IBufferWriter<byte> output)
    {
        CloseError = error;
        FrameAnswers.Refuse(output, error, _metrics, _stats, _logger, _checksum);
        return ProcessStatus.Close;
    }

    private void Finish(ValueTask handled, ConnectionOutput output)
    {
        try
        {
            handled.GetAwaiter().GetResult();
            if (!_context.HasResponded)
            {
                _context.RespondError(ErrorCode.InternalError, "The handler did not answer the request.");
            }
        }
        catch (ProtocolException e) when (!_context.HasResponded)
        {
            _context.RespondError(e.Error);
        }
        catch (Exception e) when (!_context.HasResponded)
        {
            ServerLog.HandlerFailed(_logger, _context.Connection.Id, e);
            _context.RespondError(ErrorCode.InternalError, "The server failed to handle the request.");
        }
        catch (Exception e)
        {
            // The response is already out; the failure is only worth a log line.
            ServerLog.HandlerFailed(_logger, _context.Connection.Id, e);
        }
        finally
        {
            if (_context.HasResponded)
            {
                output.CompleteMessage();
                FrameAnswers.Count(_metrics, _stats, _context.ErrorResponded);
            }

            _stats.RequestEnded();

            _metrics.RequestFinished(_requestStart);
            _requestStart = 0;
            _context.End();
        }
    }
}
