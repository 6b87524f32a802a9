using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Framewire.Cli.Clients;

namespace Framewire.Cli.Commands;

/// <summary><c>framewire echo-client [host] [port]</c>: the tutorial's echo client. Sends a message and prints what came back.</summary>
internal static class EchoClientCommand
{
    // As the tutorial's client's recv(1024).
    private const int ReceiveSize = 1024;

    public static Command Create(CancellationToken shutdown)
    {
        Argument<string> host = CommonArguments.Host();
        Argument<int> port = CommonArguments.Port();
        Option<string> message = new("--message", "-m") { Description = "What to send", HelpName = "text", DefaultValueFactory = _ => "Hello, world" };
        Option<double> timeout = CommonArguments.Timeout("How long to wait for the connection and for the echo", 10);
        Option<bool> udp = CommonArguments.Udp();
        var command = new Command("echo-client", "The tutorial's echo client (echo-client.py): sends a message and prints the echo. Talks to echo-server and multiconn-server")
        {
            host, port, message, timeout, udp,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            TimeSpan wait = TimeSpan.FromSeconds(result.GetValue(timeout));
            return result.GetValue(udp)
                ? await UdpEchoClient.RunAsync(result.GetValue(host)!, result.GetValue(port), Encoding.UTF8.GetBytes(result.GetValue(message)!), wait, Console.Out, Console.Error, linked.Token)
                : await RunAsync(result.GetValue(host)!, result.GetValue(port), result.GetValue(message)!, wait, Console.Out, Console.Error, linked.Token);
        });
        return command;
    }

    public static async Task<int> RunAsync(string host, int port, string message, TimeSpan timeout, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        byte[] sent = Encoding.UTF8.GetBytes(message);
        if (!Failures.TryResolve(host, port, stderr, out EndPoint? endPoint, out int failed))
        {
            return failed;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using Socket socket = Endpoints.CreateSocket(endPoint);

        // Room for more than the echo: a server that is not an echo server may answer with more than was sent.
        byte[] received = new byte[Math.Max(sent.Length, ReceiveSize)];
        int total = 0;
        string? problem = null;
        try
        {
            try
            {
                await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return Failures.Failed(stderr, Failures.CannotConnect(endPoint, e));
            }

            await socket.SendAsync(sent, SocketFlags.None, deadline.Token).ConfigureAwait(false);

            // TCP may split the echo; read until all of it is back, the server closes, or the answer is not the echo.
            while (total < sent.Length && problem is null)
            {
                int n = await socket.ReceiveAsync(received.AsMemory(total), SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                Echoes.Match(sent.AsSpan(total), received.AsSpan(total, n), atStart: total == 0, out problem);
                total += n;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failures.Failed(stderr, $"no complete echo from {Endpoints.Format(endPoint)} within {timeout.TotalSeconds:0.###} s");
        }
        catch (SocketException e)
        {
            return Failures.Failed(stderr, $"{Endpoints.Format(endPoint)}: {e.Message}");
        }

        await stdout.WriteLineAsync($"Received {PythonRepr.Bytes(received.AsSpan(0, total))}").ConfigureAwait(false);
        return problem is not null ? Failures.Failed(stderr, problem)
            : total != sent.Length ? Failures.Failed(stderr, $"the server closed the connection after {total} of {sent.Length} byte(s)")
            : (int)ExitCode.Success;
    }
}
