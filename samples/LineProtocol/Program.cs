using System.Globalization;
using System.Net;
using Framewire.Engines;
using LineProtocol;

// dotnet run --project samples/LineProtocol -- [port] [selector|async]
int port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7070;
ServerEngine engine = args.Length > 1 ? Enum.Parse<ServerEngine>(args[1], ignoreCase: true) : ServerEngine.Selector;
var options = new MessageServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, port), Engine = engine };
await using var server = new MessageServer(_ => new LineApplication(), options);
await server.StartAsync();
Console.WriteLine($"Listening on {server.LocalEndPoint}");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    // Ctrl-C: the server stops gracefully as it is disposed.
}
