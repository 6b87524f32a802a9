using System.Buffers;
using System.Net;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Engines.Internal;
using Framewire.Engines.Internal.Connections;
using Framewire.Internal;
using Framewire.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Framewire.Tests.Support;

/// <summary>
/// The engines' frame application on a made-up loopback connection, for tests without sockets: its output goes to
/// <see cref="Written"/>, under the same connection policy and read-ahead limits an engine applies.
/// </summary>
internal sealed class InMemoryApplication
{
    private InMemoryApplication(IMessageHandler handler, WorkerPool workers, ServerMetrics metrics, int maxInFlight, long sendHighWater)
    {
        var options = new MessageServerOptions { MaxInFlight = maxInFlight, SendHighWater = sendHighWater, SendLimit = long.MaxValue };
        Info = Connection();
        Policy = new ConnectionPolicy(new ConnectionLimits(options), Info.Stats);
        Policy.Target = Written;
        Application = new FrameApplication(new FrameApplication.Settings(handler, FrameLimits.Default, workers, NullLogger.Instance, metrics, CancellationToken.None), Info);
    }

    public ConnectionInfo Info { get; }

    public ConnectionPolicy Policy { get; }

    public FrameApplication Application { get; }

    /// <summary>Everything the application wrote, as a socket would have been given it.</summary>
    public ArrayBufferWriter<byte> Written { get; } = new(64 * 1024);

    public static ConnectionInfo Connection() =>
        new(1, new IPEndPoint(IPAddress.Loopback, 50000), new IPEndPoint(IPAddress.Loopback, 65432));

    public static InMemoryApplication Create(
        IMessageHandler handler, WorkerPool workers, ServerMetrics? metrics = null, int maxInFlight = int.MaxValue, long sendHighWater = long.MaxValue) =>
        new(handler, workers, metrics ?? ServerMetrics.Async, maxInFlight, sendHighWater);

    public ProcessStatus Process(ref ReadOnlySequence<byte> input) => Application.Process(ref input, Policy);

    /// <summary>The client takes everything written so far, as an engine's drained output.</summary>
    public void Drain()
    {
        Info.Stats.AddBytesSent(Policy.Unsent);
        Policy.OnDrained();
    }
}
