using System.Buffers;
using System.Diagnostics;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Framewire.Internal;
using Framewire.Protocol.Internal;
using Framewire.Protocol;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal;

/// <summary>
/// Frames in, one handler call per frame, one response frame out, in order. Broken framing is answered with an
/// error frame and ends the connection; a refused request with intact framing is answered and the connection
/// goes on.
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
    private readonly CountingBufferWriter _output = new();
    private readonly int _maxInFlight;
    private readonly long _highWater;
    private Task? _pending;
    private long _requestStart;
    private int _unsentResponses;
    private long _unsentBefore;

    public FrameApplication(IMessageHandler handler, FrameLimits limits, ConnectionInfo connection, WorkerPool workers, ILogger logger, CancellationToken stopping, ServerMetrics? metrics = null, int maxInFlight = int.MaxValue, long sendHighWater = long.MaxValue)
    {
        _metrics = metrics ?? ServerMetrics.Async;
        _stats = connection.Stats;
        _maxInFlight = Math.Max(1, maxInFlight);
        _highWater = Math.Max(1, sendHighWater);
        _decoder = new FrameDecoder(limits);
        _handler = handler;
        _context = new MessageContext(connection, workers);
        _logger = logger;
        _stopping = stopping;
    }

    public override bool HasPartialMessage => _decoder.IsAwaitingContent;

    public override ProcessStatus Process(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output)
    {
        _output.Target = output;
        while (true)
        {
            if (!input.IsEmpty && (_unsentResponses >= _maxInFlight || _unsentBefore + _output.Count >= _highWater))
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

            _context.Begin(frame, _output);
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
                // Only the slow path pays for a Task: engines wait on it once and then inspect it.
                _pending = handled.AsTask();
                return ProcessStatus.Pending;
            }

            Finish(handled);
        }
    }

    public override Task? PendingTask => _pending;

    public override int UnsentResponses => _unsentResponses;

    public override void OnOutputDrained()
    {
        _unsentResponses = 0;
        _unsentBefore = 0;
        _output.ResetCount();
    }

    public override void OnOutputUnsent(long unsent)
    {
        _unsentBefore = unsent;
        _output.ResetCount();
    }

    public override void CompletePending()
    {
        Task pending = _pending ?? throw new InvalidOperationException("No handler is pending.");
        _pending = null;
        Finish(new ValueTask(pending));
    }

    public override void OnEndOfInput(bool hasUnconsumedInput, bool shuttingDown, IBufferWriter<byte> output)
    {
        if (!hasUnconsumedInput && !_decoder.IsAwaitingContent)
        {
            return;
        }

        // A client that half-closes mid-frame can still read why its frame went unanswered.
        ProtocolError error = shuttingDown
            ? new ProtocolError(ErrorCode.ShuttingDown, "The server is shutting down; the incomplete frame was not processed.")
            : new ProtocolError(ErrorCode.FrameTruncated, "The connection ended in the middle of a frame.");
        Refuse(error, output);
    }

    public override bool IsAwaitingHeader(bool hasUnconsumedInput) => hasUnconsumedInput && !_decoder.IsAwaitingContent;

    public override void OnFrameTimeout(IBufferWriter<byte> output) =>
        Refuse(new ProtocolError(ErrorCode.FrameTimeout, "The frame header did not arrive in time."), output);

    public override void OnDataRateTooLow(IBufferWriter<byte> output) =>
        Refuse(new ProtocolError(ErrorCode.DataRateTooLow, "The frame's content arrived slower than the minimum data rate."), output);

    public override void ReleaseBuffers() => _context.ReleaseBuffers();

    private ProcessStatus Refuse(ProtocolError error, IBufferWriter<byte> output)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.ProtocolError(_logger, _context.Connection.Id, error.WireCode, error.Message);
        }

        CloseReason = error;
        ErrorFrame.Write(output, error);
        _metrics.FrameSent();
        _metrics.Error(error.Code);
        _stats.FrameSent();
        _stats.Error(error.Code);
        return ProcessStatus.Close;
    }

    private void Finish(ValueTask handled)
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
                _unsentResponses++;
                _metrics.FrameSent();
                _stats.FrameSent();
                if (_context.ErrorResponded != ErrorCode.None)
                {
                    _metrics.Error(_context.ErrorResponded);
                    _stats.Error(_context.ErrorResponded);
                }
            }

            _stats.RequestEnded();

            _metrics.RequestFinished(_requestStart);
            _requestStart = 0;
            _context.End();
        }
    }
}
