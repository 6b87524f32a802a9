using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Framewire.Cli.Commands;

/// <summary><c>framewire echo-client [host] [port]</c>: the seed's echo client. Sends a message and prints what came back.</summary>
internal static class EchoClientCommand
{
    public static Command Create(CancellationToken shutdown)
    {
        Argument<string> host = CommonArguments.Host();
        Argument<int> port = CommonArguments.Port();
        Option<string> message = new("--message", "-m") { Description = "What to send", DefaultValueFactory = _ => "Hello, world" };
        Option<double> timeout = new("--timeout") { Description = "Seconds to wait for the connection and for the echo", DefaultValueFactory = _ => 10 };
        Option<bool> udp = CommonArguments.Udp();
        var command = new Command("echo-client", "The seed's echo client: send a message, print the echo")
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
        EndPoint endPoint;
        try
        {
            endPoint = Endpoints.Parse(host, port);
        }
        catch (ArgumentException e)
        {
            await stderr.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Usage;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using Socket socket = Endpoints.CreateSocket(endPoint);
        byte[] received = new byte[Math.Max(sent.Length, 1)];
        int total = 0;
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            await socket.SendAsync(sent, SocketFlags.None, deadline.Token).ConfigureAwait(false);

            // TCP may split the echo; read until all of it is back or the server closes.
            while (total < sent.Length)
            {
                int n = await socket.ReceiveAsync(received.AsMemory(total), SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"Error: no complete echo from {Endpoints.Format(endPoint)} within {timeout.TotalSeconds:0.###} s").ConfigureAwait(false);
            return (int)ExitCode.Failure;
        }
        catch (SocketException e)
        {
            await stderr.WriteLineAsync($"Error: {Endpoints.Format(endPoint)}: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Failure;
        }

        await stdout.WriteLineAsync($"Received {PythonRepr.Bytes(received.AsSpan(0, total))}").ConfigureAwait(false);
        if (total != sent.Length)
        {
            await stderr.WriteLineAsync($"Error: the server closed the connection after {total} of {sent.Length} byte(s)").ConfigureAwait(false);
            return (int)ExitCode.Failure;
        }

        return (int)ExitCode.Success;
    }
}
