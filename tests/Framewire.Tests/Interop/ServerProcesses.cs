using Framewire.Tests.Support;

namespace Framewire.Tests.Interop;

/// <summary>Servers run as child processes for a test class, each on a free loopback port, stopped by signal at the end.</summary>
public abstract class ServerProcesses : IAsyncLifetime
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private readonly List<ChildProcess> _servers = [];

    public abstract Task InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (ChildProcess server in _servers)
        {
            try
            {
                server.Terminate();
                await server.WaitForExitAsync(StopTimeout);
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
            {
                // Already gone, or deaf to the signal: disposing kills it by its id.
            }
            finally
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>Starts a server and waits for the port it announces.</summary>
    private protected async Task<(ChildProcess Server, int Port)> StartAsync(ChildProcess server)
    {
        _servers.Add(server);
        try
        {
            return (server, await server.WaitForListeningPortAsync());
        }
        catch (OperationCanceledException e)
        {
            // A server that never said where it listens is of no use to any test: stop it now.
            _servers.Remove(server);
            await server.DisposeAsync();
            throw new InvalidOperationException($"The server announced no port. Output: {server.Stdout.Text} Errors: {server.Stderr}", e);
        }
    }
}
