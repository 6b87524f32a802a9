using System.Net;
using System.Net.Sockets;
using Framewire.Client;

namespace Framewire.Cli.Bench;

/// <summary>
/// Moves a run's bytes: opens the connections and runs their loops until the run is over. What to send, when, and
/// what the answers must be is <see cref="BenchConnection"/>'s business, so a driver only does I/O and can be
/// replaced (<c>--engine</c>).
/// </summary>
internal abstract class BenchDriver
{
    protected BenchDriver(EndPoint endPoint, RunControl run)
    {
        EndPoint = endPoint;
        Run = run;
    }

    protected EndPoint EndPoint { get; }

    protected RunControl Run { get; }

    /// <param name="tls">TLS on every connection, or null for plain TCP.</param>
    public static BenchDriver Create(BenchSettings settings, EndPoint endPoint, TlsClientOptions? tls, RunControl run)
    {
        ArgumentNullException.ThrowIfNull(settings);

        // The name the server's certificate must carry: the host as given, none for a Unix socket.
        string? host = endPoint is UnixDomainSocketEndPoint ? null : settings.Host;
        return settings.Engine switch
        {
            BenchEngine.Async => new AsyncDriver(settings.Mode, endPoint, run, tls, host),
            BenchEngine.Selector when OperatingSystem.IsLinux() => new SelectorDriver(
                settings.Mode, settings.Threads, endPoint, run, tls is null ? null : new SelectorTls(tls, host, endPoint)),
            _ => throw new NotSupportedException($"The {settings.Engine} engine is not available."),
        };
    }

    /// <summary>Opens every connection of a kept-open run before the clock starts; returns why it could not, or null.</summary>
    public abstract Task<string?> ConnectAsync(IReadOnlyList<BenchConnection> connections, CancellationToken cancellationToken);

    /// <summary>
    /// Starts the run's clock (<see cref="RunControl.Begin"/>) as soon as the driver can send, before the returned
    /// task is handed back, and runs the connections until sending has stopped and every request in flight has been
    /// answered, has failed, or has timed out.
    /// </summary>
    public abstract Task RunAsync(IReadOnlyList<BenchConnection> connections);
}
