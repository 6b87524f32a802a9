using System.Net;
using Framewire.Apps;
using Framewire.Engines.Internal;
using Framewire.Internal;
using Framewire.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Framewire.Tests.Support;

/// <summary>The engines' per-connection frame protocol on a made-up loopback connection, for tests without sockets.</summary>
internal static class InMemoryApplication
{
    public static ConnectionInfo Connection() =>
        new(1, new IPEndPoint(IPAddress.Loopback, 50000), new IPEndPoint(IPAddress.Loopback, 65432));

    public static FrameApplication Create(
        IMessageHandler handler, WorkerPool workers, ServerMetrics? metrics = null, int maxInFlight = int.MaxValue, long sendHighWater = long.MaxValue) =>
        new(handler, FrameLimits.Default, Connection(), workers, NullLogger.Instance, CancellationToken.None, metrics, maxInFlight, sendHighWater);
}
