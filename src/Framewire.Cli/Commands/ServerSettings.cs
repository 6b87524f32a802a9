using Framewire.Engines;
using Framewire.Hosting;
using Framewire.Protocol;
using Microsoft.Extensions.Logging;

namespace Framewire.Cli.Commands;

/// <summary>
/// What <c>app-server</c> and <c>multiconn-server</c> share: where to listen, the engine, limits, timeouts, flow control,
/// security, metrics, logs and the admin view, and how those become a running server. A command's own settings derive
/// from it; <see cref="ServerFlags"/> reads these from its command line. Null keeps the server's default.
/// </summary>
internal abstract record ServerSettings(string Host, int Port)
{
    public ServerEngine? Engine { get; init; }

    public int Loops { get; init; }

    public bool Verbose { get; init; }

    public ServerSecurity Security { get; init; } = ServerSecurity.None;

    /// <summary>Where to serve Prometheus metrics on 127.0.0.1; null for nowhere.</summary>
    public int? MetricsPort { get; init; }

    public LogFormat LogFormat { get; init; }

    /// <summary>--admin: where to serve the live connection view; null for nowhere.</summary>
    public string? Admin { get; init; }

    public int? MaxConnections { get; init; }

    public int? Backlog { get; init; }

    public TimeSpan? IdleTimeout { get; init; }

    public TimeSpan? FrameTimeout { get; init; }

    public TimeSpan? ShutdownTimeout { get; init; }

    /// <summary>--max-in-flight, --send-high-water, --send-limit, --min-data-rate.</summary>
    public FlowControl Flow { get; init; } = FlowControl.None;

    /// <summary>The hosting options these settings make, for the command to add its own to; they are checked later.</summary>
    protected FramewireServerOptions ToHostingOptions()
    {
        var options = new FramewireServerOptions
        {
            Host = Host,
            Port = Port,
            Engine = Engine ?? ServerHost.DefaultEngine,
            Loops = Loops,
            MaxConnections = MaxConnections,
            Backlog = Backlog,
            IdleTimeout = IdleTimeout,
            FrameTimeout = FrameTimeout,
            ShutdownTimeout = ShutdownTimeout,
        };
        Flow.ApplyTo(options);
        return options;
    }

    /// <summary>The server's options from <paramref name="configured"/>, with TLS and trusted proxies added.</summary>
    /// <exception cref="ArgumentException">
    /// A value is out of range or does not go with another: the library's sentence, naming the flags.
    /// </exception>
    protected MessageServerOptions ToServerOptions(FramewireServerOptions configured)
    {
        try
        {
            MessageServerOptions options = configured.ToMessageServerOptions();
            Security.ApplyTo(options);
            options.Validate();
            return options;
        }
        catch (OptionOutOfRangeException e)
        {
            throw new ArgumentException(e.Describe(FlagFor), e);
        }
    }

    /// <summary>The flag that sets an option; options without one keep their property name.</summary>
    private static string FlagFor(string option) => option switch
    {
        nameof(MessageServerOptions.Loops) => "--loops",
        nameof(MessageServerOptions.MaxConnections) => "--max-connections",
        nameof(MessageServerOptions.Backlog) => "--backlog",
        nameof(MessageServerOptions.IdleTimeout) => "--idle-timeout",
        nameof(MessageServerOptions.FrameTimeout) => "--frame-timeout",
        nameof(MessageServerOptions.ShutdownTimeout) => "--shutdown-timeout",
        nameof(MessageServerOptions.MaxInFlight) => "--max-in-flight",
        nameof(MessageServerOptions.SendHighWater) => "--send-high-water",
        nameof(MessageServerOptions.SendLimit) => "--send-limit",
        nameof(MessageServerOptions.MinDataRate) => "--min-data-rate",
        nameof(FrameLimits.MaxHeaderLength) => "--max-header-length",
        nameof(FrameLimits.MaxContentLength) => "--max-content-length",
        _ => option,
    };

    protected Task<int> ServeAsync(
        MessageServerOptions options, Func<ILoggerFactory, MessageServer> createServer, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken) =>
        ServerHost.ServeAsync(options, MetricsPort, Verbose, LogFormat, Admin, createServer, stdout, stderr, cancellationToken);
}
