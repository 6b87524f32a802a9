using System.CommandLine;
using Framewire.Engines;

namespace Framewire.Cli.Commands;

/// <summary>The options behind <see cref="ServerSettings"/>, built fresh for each server command, and their reader.</summary>
internal sealed class ServerFlags
{
    private readonly Option<ServerEngine?> _engine = CommonArguments.Engine();
    private readonly Option<int> _loops = CommonArguments.Loops();
    private readonly Option<bool> _verbose = CommonArguments.Verbose();
    private readonly Option<int?> _maxConnections = CommonArguments.MaxConnections();
    private readonly Option<int?> _backlog = CommonArguments.Backlog();
    private readonly Option<double?> _idleTimeout = CommonArguments.Seconds("--idle-timeout", "Close a connection with nothing in flight after this long without a byte; 0 never (default 120)");
    private readonly Option<double?> _frameTimeout = CommonArguments.Seconds("--frame-timeout", "Answer frame_timeout and close when a frame header is not complete this long after its first byte; 0 never (default 10)");
    private readonly Option<double?> _shutdownTimeout = CommonArguments.Seconds("--shutdown-timeout", "On Ctrl-C or SIGTERM, let connections finish what they have received for this long, then abort them (default 30)");
    private readonly Option<int?> _metricsPort = MetricsExport.CreateOption();
    private readonly Option<LogFormat> _logFormat = CommonArguments.LogFormat();
    private readonly Option<string?> _admin = CommonArguments.Admin();
    private readonly Option[] _flowOptions;
    private readonly Func<ParseResult, FlowControl> _readFlow;
    private readonly Option[] _securityOptions;
    private readonly Func<ParseResult, ServerSecurity> _readSecurity;

    public ServerFlags()
    {
        (_flowOptions, _readFlow) = FlowControl.CreateOptions();
        (_securityOptions, _readSecurity) = ServerSecurity.CreateOptions();
    }

    /// <summary>Adds the options to <paramref name="command"/>, after those it has.</summary>
    public void AddTo(Command command)
    {
        Option[] options = [_engine, _loops, _verbose, _maxConnections, _backlog, _idleTimeout, _frameTimeout, _shutdownTimeout, _metricsPort, _logFormat, _admin];
        foreach (Option option in options.Concat(_flowOptions).Concat(_securityOptions))
        {
            command.Options.Add(option);
        }
    }

    /// <summary><paramref name="settings"/> with what the command line says of the shared flags.</summary>
    public T Read<T>(ParseResult result, T settings)
        where T : ServerSettings => (T)((ServerSettings)settings with
        {
            Engine = result.GetValue(_engine),
            Loops = result.GetValue(_loops),
            Verbose = result.GetValue(_verbose),
            Security = _readSecurity(result),
            MetricsPort = result.GetValue(_metricsPort),
            LogFormat = result.GetValue(_logFormat),
            Admin = result.GetValue(_admin),
            MaxConnections = result.GetValue(_maxConnections),
            Backlog = result.GetValue(_backlog),
            IdleTimeout = CommonArguments.ToTimeSpan(result.GetValue(_idleTimeout)),
            FrameTimeout = CommonArguments.ToTimeSpan(result.GetValue(_frameTimeout)),
            ShutdownTimeout = CommonArguments.ToTimeSpan(result.GetValue(_shutdownTimeout)),
            Flow = _readFlow(result),
        });
}
