using System.Net;
using System.Net.Sockets;
using Framewire.Engines;

namespace Framewire.Cli.Admin;

/// <summary>
/// <c>--admin</c>: a second, small server beside the served one. It answers <c>{"action": "status"}</c> in the frame
/// protocol (what <c>framewire status</c> asks) and, over HTTP on the same address, serves the dashboard page, the same
/// document at <c>/api/status</c> and the live samples at <c>/api/events</c>. It runs on the async engine with a
/// handful of connections. The served server pays for a sample a second and, while a dashboard is open, two clock
/// reads and a histogram record per request for the latency chart; nothing more while nobody asks.
/// </summary>
internal sealed class AdminEndpoint : IAsyncDisposable
{
    private readonly MessageServer _admin;
    private readonly DashboardFeed _feed;

    private AdminEndpoint(MessageServer admin, DashboardFeed feed)
    {
        _admin = admin;
        _feed = feed;
    }

    public EndPoint LocalEndPoint => _admin.LocalEndPoint!;

    /// <exception cref="SocketException">The address is in use or cannot be bound.</exception>
    public static async Task<AdminEndpoint> StartAsync(MessageServer server, EndPoint endPoint, CancellationToken cancellationToken)
    {
        DashboardFeed feed = DashboardFeed.Start(server);

        // No browser reaches a Unix socket, so only TCP needs a request to name this machine (DNS rebinding).
        var site = new AdminSite(server, feed, ChecksHost: endPoint is not UnixDomainSocketEndPoint);
        var admin = new MessageServer(new StatusHandler(server), frames => new AdminApplication(site, frames), new MessageServerOptions
        {
            EndPoint = endPoint,
            Engine = ServerEngine.Async,
            MaxConnections = 16,
            WorkerThreads = 1,
            ShutdownTimeout = TimeSpan.FromSeconds(2),
        });
        try
        {
            await admin.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await admin.DisposeAsync().ConfigureAwait(false);
            await feed.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new AdminEndpoint(admin, feed);
    }

    /// <summary>Stops the feed first, which ends the event streams, so the admin server's stop does not wait on them.</summary>
    public async ValueTask DisposeAsync()
    {
        await _feed.DisposeAsync().ConfigureAwait(false);
        await _admin.DisposeAsync().ConfigureAwait(false);
    }
}
