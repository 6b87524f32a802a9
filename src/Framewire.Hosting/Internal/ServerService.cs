using Framewire.Engines;
using Microsoft.Extensions.Hosting;

namespace Framewire.Hosting.Internal;

/// <summary>Starts the container's <see cref="MessageServer"/> with the host and stops it gracefully with the host.</summary>
internal sealed class ServerService(MessageServer server) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);

    // The host's shutdown timeout bounds the graceful stop: when it fires, the server aborts what is left.
    public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);
}
