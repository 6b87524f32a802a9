using System.Buffers;
using Framewire.Apps;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal;

/// <summary>
/// Raw byte streams handed to an <see cref="IStreamHandler"/>: no messages, so no read-ahead count and no frame timeout.
/// It holds nothing of any one connection, so a server has one for all of them.
/// </summary>
internal sealed class StreamApplication(IStreamHandler handler, ILogger logger) : ConnectionApplication
{
    public override ProcessStatus Process(ref ReadOnlySequence<byte> input, ConnectionOutput output)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.BytesReceived(logger, output.ConnectionId, input.Length);
        }

        handler.OnReceived(ref input, output);
        return ProcessStatus.NeedMoreData;
    }
}
