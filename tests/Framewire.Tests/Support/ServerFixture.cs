using System.Net;
using Framewire.Apps;
using Framewire.Engines;

namespace Framewire.Tests.Support;

/// <summary>Starts a server on a free loopback port and stops it when the test is done.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(MessageServer server) => Server = server;

    public MessageServer Server { get; }

    public EndPoint EndPoint => Server.LocalEndPoint!;

    public int Port => ((IPEndPoint)EndPoint).Port;

    public static async Task<RunningServer> StartAsync(
        IMessageHandler? handler = null, Action<MessageServerOptions>? configure = null, ServerEngine engine = ServerEngine.Async)
    {
        MessageServerOptions options = Options(configure, engine);
        var server = new MessageServer(handler ?? new SearchHandler(), options);
        await server.StartAsync();
        return new RunningServer(server);
    }

    public static async Task<RunningServer> StartAsync(IngressQueue queue, Action<MessageServerOptions>? configure = null, ServerEngine engine = ServerEngine.Async)
    {
        var server = new MessageServer(queue, Options(configure, engine));
        await server.StartAsync();
        return new RunningServer(server);
    }

    public static async Task<RunningServer> StartEchoAsync(Action<MessageServerOptions>? configure = null, ServerEngine engine = ServerEngine.Async)
    {
        var server = new MessageServer(EchoHandler.Instance, Options(configure, engine));
        await server.StartAsync();
        return new RunningServer(server);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private static MessageServerOptions Options(Action<MessageServerOptions>? configure, ServerEngine engine)
    {
        var options = new MessageServerOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Engine = engine,
            // Two loops even on one core, so that tests cross loops as they would on a many-core server.
            Loops = 2,
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return options;
    }
}
