using Framewire.Engines;
using Framewire.Protocol;

namespace Framewire.Hosting;

/// <summary>
/// A server's settings in a form configuration can bind: the <c>Framewire</c> section of <c>appsettings.json</c>,
/// or environment variables such as <c>Framewire__Port=7000</c>. The <c>framewire</c> command's servers take the
/// same settings from their command lines.
/// </summary>
/// <remarks>
/// Settings left unset (null) keep <see cref="MessageServerOptions"/>' own defaults, so those defaults live in one place.
/// </remarks>
public sealed class FramewireServerOptions
{
    /// <summary>The configuration section the generic host binds: <c>Framewire</c>.</summary>
    public const string SectionName = "Framewire";

    /// <summary>An IPv4 or IPv6 address, a host name, or <c>unix:/path/to.sock</c>; 127.0.0.1 by default.</summary>
    public string Host { get; set; } = Endpoints.DefaultHost;

    /// <summary>The TCP port; 65432 by default, 0 picks a free one.</summary>
    public int Port { get; set; } = Endpoints.DefaultPort;

    /// <summary>The largest accepted JSON header in bytes, at most 65535.</summary>
    public int MaxHeaderLength { get; set; } = FrameLimits.DefaultMaxHeaderLength;

    /// <summary>The largest accepted content in bytes.</summary>
    public int MaxContentLength { get; set; } = FrameLimits.DefaultMaxContentLength;

    /// <summary>The engine that runs the sockets (<see cref="MessageServerOptions.Engine"/>).</summary>
    public ServerEngine? Engine { get; set; }

    /// <summary>Event loops for the selector engine (<see cref="MessageServerOptions.Loops"/>); 0 is one per processor.</summary>
    public int? Loops { get; set; }

    /// <summary>The listen backlog (<see cref="MessageServerOptions.Backlog"/>).</summary>
    public int? Backlog { get; set; }

    /// <summary>How long a graceful stop waits for connections (<see cref="MessageServerOptions.ShutdownTimeout"/>).</summary>
    public TimeSpan? ShutdownTimeout { get; set; }

    /// <summary>Threads for handlers' CPU-bound work (<see cref="MessageServerOptions.WorkerThreads"/>).</summary>
    public int? WorkerThreads { get; set; }

    /// <summary>CPU-bound work items that may wait for a worker (<see cref="MessageServerOptions.WorkerQueueLength"/>).</summary>
    public int? WorkerQueueLength { get; set; }

    /// <summary>Most connections open at once (<see cref="MessageServerOptions.MaxConnections"/>).</summary>
    public int? MaxConnections { get; set; }

    /// <summary>How long a connection may idle before it is closed (<see cref="MessageServerOptions.IdleTimeout"/>); zero never.</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>How long a frame header may take once begun (<see cref="MessageServerOptions.FrameTimeout"/>); zero never.</summary>
    public TimeSpan? FrameTimeout { get; set; }

    /// <summary>Requests read ahead per connection before it stops reading (<see cref="MessageServerOptions.MaxInFlight"/>).</summary>
    public int? MaxInFlight { get; set; }

    /// <summary>Response bytes ahead of a client before its connection stops reading (<see cref="MessageServerOptions.SendHighWater"/>).</summary>
    public long? SendHighWater { get; set; }

    /// <summary>Unsent output that closes a client as a slow consumer (<see cref="MessageServerOptions.SendLimit"/>).</summary>
    public long? SendLimit { get; set; }

    /// <summary>Bytes per second a peer must send content and read output at (<see cref="MessageServerOptions.MinDataRate"/>); zero no minimum.</summary>
    public double? MinDataRate { get; set; }

    /// <summary>How long a transfer runs before the minimum data rate applies (<see cref="MessageServerOptions.MinDataRateGracePeriod"/>).</summary>
    public TimeSpan? MinDataRateGracePeriod { get; set; }

    /// <summary>The engine's options for these settings; <see cref="MessageServerOptions.Validate"/> checks them.</summary>
    /// <exception cref="ArgumentException">The host is not an address, a host name or a Unix socket path.</exception>
    /// <exception cref="OptionOutOfRangeException">A frame limit is out of range.</exception>
    public MessageServerOptions ToMessageServerOptions()
    {
        var options = new MessageServerOptions
        {
            EndPoint = Endpoints.Parse(Host, Port),
            Limits = new FrameLimits { MaxHeaderLength = MaxHeaderLength, MaxContentLength = MaxContentLength },
        };
        options.Engine = Engine ?? options.Engine;
        options.Loops = Loops ?? options.Loops;
        options.Backlog = Backlog ?? options.Backlog;
        options.ShutdownTimeout = ShutdownTimeout ?? options.ShutdownTimeout;
        options.WorkerThreads = WorkerThreads ?? options.WorkerThreads;
        options.WorkerQueueLength = WorkerQueueLength ?? options.WorkerQueueLength;
        options.MaxConnections = MaxConnections ?? options.MaxConnections;
        options.IdleTimeout = IdleTimeout ?? options.IdleTimeout;
        options.FrameTimeout = FrameTimeout ?? options.FrameTimeout;
        options.MaxInFlight = MaxInFlight ?? options.MaxInFlight;
        options.SendHighWater = SendHighWater ?? options.SendHighWater;
        options.SendLimit = SendLimit ?? options.SendLimit;
        options.MinDataRate = MinDataRate ?? options.MinDataRate;
        options.MinDataRateGracePeriod = MinDataRateGracePeriod ?? options.MinDataRateGracePeriod;
        return options;
    }
}
