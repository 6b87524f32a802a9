using System.Net;
using Framewire.Engines;

namespace Framewire.Cli.Admin;

/// <summary>
/// <c>--admin</c>: a second, small frame-protocol server beside the served one that answers
/// <c>{"action": "status"}</c>. It runs on the async engine with a handful of connections, so it costs the served
/// server nothing while nobody asks.
/// </summary>
internal sealed class AdminEndpoint : IAsyncDisposable
{
    private readonly MessageServer _admin;

    private AdminEndpoint(MessageServer admin) => _admin = admin;

    public EndPoint LocalEndPoint => _admin.LocalEndPoint!;

    /// <exception cref="System.Net.Sockets.SocketException">The address is in use or cannot be bound.</exception>
    public static async Task<AdminEndpoint> StartAsync(MessageServer server, EndPoint endPoint, CancellationToken cancellationToken)
    {
        var admin = new MessageServer(new StatusHandler(server), new MessageServerOptions
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
            throw;
        }

        return new AdminEndpoint(admin);
    }

    public ValueTask DisposeAsync() => _admin.DisposeAsync();
}
