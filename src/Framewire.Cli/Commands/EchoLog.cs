using Microsoft.Extensions.Logging;

namespace Framewire.Cli.Commands;

/// <summary>The echo server's log events, with named values for <c>--log-format json</c>.</summary>
internal static partial class EchoLog
{
    [LoggerMessage(1, LogLevel.Debug, "Client {RemoteEndPoint} done: {Bytes} byte(s) echoed")]
    public static partial void ClientDone(ILogger logger, string remoteEndPoint, long bytes);
}
