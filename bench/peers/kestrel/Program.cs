// Kestrel peer: raw TCP through Kestrel's socket transport and a ConnectionHandler, in two modes:
//   --mode echo   pipe to pipe: every read is written back and flushed once;
//   --mode frame  the tutorial's framed protocol (2-byte big-endian header length, JSON header, content) answering
//                 the search app with the same table and byte-identical answers as Framewire's server.
//
// Why it is a fair peer: this is how ASP.NET Core's own samples and users serve a custom TCP protocol, on the
// stack Microsoft tunes for TechEmpower: Kestrel's transport, System.IO.Pipelines, SequenceReader and
// Utf8JsonReader. It keeps Kestrel's defaults (server GC from the Web SDK, NoDelay on, one I/O queue per
// core) but the listen backlog, 4096 like every other peer's instead of its 512, so that a burst of connects
// compares servers, not queues; it adds no tuning a Kestrel user would not. It validates less than our server: a
// frame it cannot parse closes the connection instead of getting an error frame.
//
// --tls-cert FILE --tls-key FILE (PEM) put Kestrel's TLS connection middleware (ListenOptions.UseHttps, SslStream
// with Kestrel's defaults: the OS's protocol versions and cipher suites) in front of the same ConnectionHandler.
//
// Usage: kestrel-peer --mode echo|frame [--host 127.0.0.1] [--port 65432] [--tls-cert FILE --tls-key FILE]
// Prints "Listening on HOST:PORT" once Kestrel accepts connections; SIGTERM or Ctrl-C exits 0.

using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using KestrelPeer;

string host = "127.0.0.1";
int port = 65432;
string mode = "echo";
string? tlsCert = null;
string? tlsKey = null;
for (int i = 0; i < args.Length; i++)
{
    string value = i + 1 < args.Length ? args[i + 1] : "";
    switch (args[i])
    {
        case "--host": host = value; i++; break;
        case "--port": port = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); i++; break;
        case "--mode": mode = value; i++; break;
        case "--tls-cert": tlsCert = value; i++; break;
        case "--tls-key": tlsKey = value; i++; break;
        default:
            await Console.Error.WriteLineAsync("usage: kestrel-peer --mode echo|frame [--host 127.0.0.1] [--port 65432] [--tls-cert FILE --tls-key FILE]");
            return 2;
    }
}

if (mode is not ("echo" or "frame"))
{
    await Console.Error.WriteLineAsync($"unknown mode '{mode}': echo or frame");
    return 2;
}

if ((tlsCert is null) != (tlsKey is null))
{
    await Console.Error.WriteLineAsync("--tls-cert and --tls-key go together");
    return 2;
}

X509Certificate2? certificate = tlsCert is null ? null : X509Certificate2.CreateFromPemFile(tlsCert, tlsKey);

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();

// stdout carries only the "Listening on" line; warnings and errors go to stderr.
builder.Logging.ClearProviders();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

// Kestrel waits up to this long for open connections on SIGTERM before aborting them; a load generator's
// connections never close by themselves, and a script should not wait the default 30 s.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));

builder.WebHost.UseSockets(sockets => sockets.Backlog = 4096);
builder.WebHost.ConfigureKestrel(options =>
{
    options.Listen(IPAddress.Parse(host), port, listen =>
    {
        if (certificate is not null)
        {
            listen.UseHttps(certificate);
        }

        if (mode == "echo")
        {
            listen.UseConnectionHandler<EchoConnectionHandler>();
        }
        else
        {
            listen.UseConnectionHandler<FrameConnectionHandler>();
        }
    });
});

await using WebApplication app = builder.Build();
await app.StartAsync();
Console.Out.WriteLine($"Listening on {host}:{port}");
Console.Out.Flush();
await app.WaitForShutdownAsync();
return 0;
