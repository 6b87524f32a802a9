using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Framewire.Cli.Commands;

/// <summary>
/// <c>framewire echo-server [host] [port]</c>: the tutorial's first server. Blocking sockets, one client at a time:
/// accept, echo until the client closes, then the next client (or exit, with <c>--once</c>).
/// </summary>
internal static class EchoServerCommand
{
    private const int ReceiveSize = 1024;

    public static Command Create(CancellationToken shutdown)
    {
        Argument<string> host = CommonArguments.Host();
        Argument<int> port = CommonArguments.Port();
        Option<bool> once = new("--once") { Description = "Exit after the first client has disconnected, as the tutorial's server does" };
        Option<bool> verbose = CommonArguments.Verbose();
        Option<bool> udp = CommonArguments.Udp();
        Option<LogFormat> logFormat = CommonArguments.LogFormat();
        var command = new Command("echo-server", "The tutorial's echo server (echo-server.py): blocking sockets, one client at a time, every byte sent back (--udp: every datagram). For echo-client and multiconn-client")
        {
            host, port, once, verbose, udp, logFormat,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            return result.GetValue(udp)
                ? await UdpEchoServer.RunAsync(result.GetValue(host)!, result.GetValue(port), result.GetValue(once), result.GetValue(verbose), Console.Out, Console.Error, linked.Token)
                : await RunAsync(result.GetValue(host)!, result.GetValue(port), result.GetValue(once), result.GetValue(verbose), Console.Out, Console.Error, linked.Token, result.GetValue(logFormat));
        });
        return command;
    }

    public static async Task<int> RunAsync(
        string host, int port, bool once, bool verbose, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken, LogFormat logFormat = LogFormat.Console)
    {
        if (!Failures.TryResolve(host, port, stderr, out EndPoint? endPoint, out int failed))
        {
            return failed;
        }

        ServerHost.WarnIfExposed(endPoint, stderr);
        using ILoggerFactory logging = Logging.Create(verbose, logFormat);
        ILogger logger = logging.CreateLogger("Framewire.EchoServer");
        using Socket listener = Endpoints.CreateSocket(endPoint);
        try
        {
            if (endPoint is UnixDomainSocketEndPoint unix && File.Exists(unix.ToString()))
            {
                File.Delete(unix.ToString());
            }

            listener.Bind(endPoint);
            listener.Listen();
        }
        catch (SocketException e)
        {
            return Failures.Failed(stderr, Failures.CannotListen(endPoint, e));
        }

        await stdout.WriteLineAsync($"Listening on {Endpoints.Format(listener.LocalEndPoint)}").ConfigureAwait(false);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);

        // Blocking calls on a thread of their own; cancellation closes the sockets, which unblocks them.
        var served = await Task.Factory.StartNew(
            () => Serve(listener, once, verbose, logger, stdout, stderr, cancellationToken),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).ConfigureAwait(false);

        if (endPoint is UnixDomainSocketEndPoint socketFile)
        {
            File.Delete(socketFile.ToString());
        }

        await stdout.WriteLineAsync($"Served {served.Clients} client(s), {served.Bytes} byte(s) echoed").ConfigureAwait(false);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return (int)ExitCode.Success;
    }

    private static (int Clients, long Bytes) Serve(Socket listener, bool once, bool verbose, ILogger logger, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        int clients = 0;
        long bytes = 0;
        Socket? current = null;
        using CancellationTokenRegistration stop = cancellationToken.Register(() =>
        {
            listener.Dispose();
            Volatile.Read(ref current)?.Dispose();
        });

        byte[] buffer = new byte[ReceiveSize];
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (!cancellationToken.IsCancellationRequested)
                {
                    stderr.WriteLine($"Error: accept failed: {e.Message}");
                }

                break;
            }

            Volatile.Write(ref current, client);
            clients++;
            long echoed = 0;
            string peer = Endpoints.Format(client.RemoteEndPoint);
            if (verbose)
            {
                stdout.WriteLine($"Connected by {peer}");
            }

            try
            {
                int received;
                while ((received = client.Receive(buffer)) > 0)
                {
                    client.Send(buffer.AsSpan(0, received));
                    echoed += received;
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The client reset the connection, or we are stopping: either way this client is done.
            }
            finally
            {
                Volatile.Write(ref current, null);
                client.Dispose();
                bytes += echoed;
                EchoLog.ClientDone(logger, peer, echoed);
            }

            if (once)
            {
                break;
            }
        }

        return (clients, bytes);
    }
}
