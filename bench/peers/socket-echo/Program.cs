// Plain async Socket echo: an accept loop and, per connection, `await ReceiveAsync` then `await SendAsync`.
//
// Why it is a fair peer: this is the server a typical .NET developer writes from the Socket docs, and the
// baseline every .NET socket library must beat: the runtime's own async engine (one epoll thread, completions
// on the thread pool) with nothing on top. It sets NoDelay and a 4096 backlog like the other peers, and gives
// each connection an 8 KiB buffer, a common size that holds a whole pipelined burst of small messages.
//
// Usage: socket-echo [--host 127.0.0.1] [--port 65432]
// Prints "Listening on HOST:PORT" once the socket accepts connections; SIGTERM or Ctrl-C exits 0.

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

string host = "127.0.0.1";
int port = 65432;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--host" when i + 1 < args.Length: host = args[++i]; break;
        case "--port" when i + 1 < args.Length: port = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default:
            await Console.Error.WriteLineAsync("usage: socket-echo [--host 127.0.0.1] [--port 65432]");
            return 2;
    }
}

using var stop = new CancellationTokenSource();
void OnStopSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStopSignal);
using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStopSignal);

IPAddress address = IPAddress.Parse(host);
using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(new IPEndPoint(address, port));
listener.Listen(4096);
Console.Out.WriteLine($"Listening on {host}:{port}");
Console.Out.Flush();

Task accepting = AcceptLoopAsync(listener, stop.Token);
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
    // SIGTERM or Ctrl-C.
}

listener.Close();
await accepting;
return 0;

static async Task AcceptLoopAsync(Socket listener, CancellationToken stopping)
{
    while (!stopping.IsCancellationRequested)
    {
        Socket client;
        try
        {
            client = await listener.AcceptAsync(stopping);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        catch (SocketException)
        {
            // A client that reset before it was accepted, or out of descriptors: try the next one.
            continue;
        }

        client.NoDelay = true;
        _ = EchoAsync(client);
    }
}

static async Task EchoAsync(Socket client)
{
    using (client)
    {
        byte[] buffer = new byte[8192];
        try
        {
            while (true)
            {
                int received = await client.ReceiveAsync(buffer, SocketFlags.None);
                if (received == 0)
                {
                    return;
                }

                for (int sent = 0; sent < received;)
                {
                    sent += await client.SendAsync(buffer.AsMemory(sent, received - sent), SocketFlags.None);
                }
            }
        }
        catch (SocketException)
        {
            // Reset by the client: nothing to clean up but the socket.
        }
    }
}
