using System.Net;
using Framewire.Engines.Internal.Connections;

namespace Framewire.Engines.Internal;

/// <summary>
/// What <see cref="MessageServer"/> needs of an engine: listen, run each connection's application under the shared
/// connection policy, and stop gracefully. Engines differ only in how they move bytes and wait for readiness.
/// </summary>
internal abstract class Engine(MessageServerOptions options, ConnectionServices services)
{
    /// <summary>What every connection of this engine is given: limits, log, meter, application, admission.</summary>
    public ConnectionServices Services { get; } = services;

    public int ConnectionCount => Services.OpenCount;

    protected MessageServerOptions Options { get; } = options;

    /// <summary>Binds and starts accepting; returns the address actually bound.</summary>
    public abstract EndPoint Start();

    /// <summary>Stops accepting, drains connections within the shutdown timeout, aborts the rest.</summary>
    public abstract Task StopAsync(CancellationToken cancellationToken);
}
