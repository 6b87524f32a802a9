using System.Buffers;
using Framewire.Engines.Internal.Connections;
using Framewire.Protocol;
using Framewire.Protocol.Internal;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal;

/// <summary>What every frame-protocol application does alike with the frames it sends: counts them, and refuses input.</summary>
internal static class FrameAnswers
{
    /// <summary>Counts one answer frame written, and its error code when it is an error frame.</summary>
    public static void Count(ServerMetrics metrics, ConnectionStats stats, ErrorCode error)
    {
        metrics.FrameSent();
        stats.FrameSent();
        if (error != ErrorCode.None)
        {
            metrics.Error(error);
            stats.Error(error);
        }
    }

    /// <summary>Writes the error frame that refuses broken input, before the connection closes.</summary>
    public static void Refuse(IBufferWriter<byte> output, ProtocolError error, ServerMetrics metrics, ConnectionStats stats, ILogger logger, ChecksumAlgorithm checksum)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.ProtocolError(logger, stats.Id, error.WireCode, error.Message);
        }

        ErrorFrame.Write(output, error, checksum);
        Count(metrics, stats, error.Code);
    }

    /// <summary>The error that tells a client why the frame it was sending went unanswered.</summary>
    public static ProtocolError Incomplete(CloseReason reason)
    {
        // A client that half-closes mid-frame can still read why its frame went unanswered.
        string message = reason switch
        {
            CloseReason.ServerShutdown => "The server is shutting down; the incomplete frame was not processed.",
            CloseReason.FrameTimeout => "The frame header did not arrive in time.",
            CloseReason.DataRateTooLow => "The frame's content arrived slower than the minimum data rate.",
            _ => "The connection ended in the middle of a frame.",
        };
        ErrorCode code = ConnectionClose.ErrorCodeOf(reason);
        return new ProtocolError(code == ErrorCode.None ? ErrorCode.FrameTruncated : code, message);
    }
}
