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
    // What every connection of the server shares lives once, in the server's settings: an idle connection keeps
    // only its own state.
    private readonly Settings _settings;
    private readonly FrameDecoder _decoder;
    private readonly MessageContext _context;
    private Task? _pending;
    private long _requestStart;

    public FrameApplication(Settings settings, ConnectionInfo connection)
    {
        _settings = settings;
        _decoder = new FrameDecoder(settings.Limits);
        _context = new MessageContext(connection, settings.Workers, settings.Checksum);
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

            _settings.Metrics.FrameReceived();
            _context.Connection.Stats.FrameReceived();
            _requestStart = ServerMetrics.DurationEnabled ? Stopwatch.GetTimestamp() : 0;

            if (_settings.Logger.IsEnabled(LogLevel.Debug))
            {
                ServerLog.RequestReceived(_settings.Logger, _context.Connection.Id, frame.Header.ContentType, frame.Header.ContentLength);
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
                handled = _settings.Handler.HandleAsync(_context, _settings.Stopping);
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
        FrameAnswers.Refuse(output, error, _settings.Metrics, _context.Connection.Stats, _settings.Logger, _settings.Checksum);
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
            ServerLog.HandlerFailed(_settings.Logger, _context.Connection.Id, e);
            _context.RespondError(ErrorCode.InternalError, "The server failed to handle the request.");
        }
        catch (Exception e)
        {
            // The response is already out; the failure is only worth a log line.
            ServerLog.HandlerFailed(_settings.Logger, _context.Connection.Id, e);
        }
        finally
        {
            if (_context.HasResponded)
            {
                output.CompleteMessage();
                FrameAnswers.Count(_settings.Metrics, _context.Connection.Stats, _context.ErrorResponded);
            }

            _context.Connection.Stats.RequestEnded();

            _settings.Metrics.RequestFinished(_requestStart);
            _requestStart = 0;
            _context.End();
        }
    }

    /// <summary>What a server's frame-protocol connections share: made once per server.</summary>
    internal sealed class Settings(IMessageHandler handler, FrameLimits limits, WorkerPool workers, ILogger logger, ServerMetrics metrics, CancellationToken stopping, ChecksumAlgorithm checksum = ChecksumAlgorithm.None)
    {
        public IMessageHandler Handler { get; } = handler;

        public FrameLimits Limits { get; } = limits;

        public WorkerPool Workers { get; } = workers;

        public ILogger Logger { get; } = logger;

        public ServerMetrics Metrics { get; } = metrics;

        public CancellationToken Stopping { get; } = stopping;

        public ChecksumAlgorithm Checksum { get; } = checksum;
    }
}
