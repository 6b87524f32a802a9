using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Framewire.Cli.Commands;

/// <summary>
/// <c>framewire multiconn-client [host] [port] [num_connections]</c>: the seed's multi-connection client. Every
/// connection sends the messages in turn and closes once all of their bytes have come back.
/// </summary>
internal static class MulticonnClientCommand
{
    private static readonly string[] SeedMessages = ["Message 1 from client.", "Message 2 from client."];

    public static Command Create(CancellationToken shutdown)
    {
        Argument<string> host = CommonArguments.Host();
        Argument<int> port = CommonArguments.Port();
        Argument<int> connections = new("num_connections")
        {
            Description = "How many connections to open (default 2)",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => 2,
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int count) && count >= 1)
                {
                    return count;
                }

                result.AddError($"num_connections must be a whole number of at least 1, not '{text}'.");
                return 0;
            },
        };
        Option<string[]> messages = new("--message", "-m") { Description = "A message to send (repeat for several); default the seed's two", AllowMultipleArgumentsPerToken = false };
        Option<double> timeout = new("--timeout") { Description = "Seconds the whole run may take", DefaultValueFactory = _ => 10 };
        Option<bool> verbose = CommonArguments.Verbose();
        var command = new Command("multiconn-client", "The seed's multi-connection echo client")
        {
            host, port, connections, messages, timeout, verbose,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            string[]? chosen = result.GetValue(messages);
            return await RunAsync(
                result.GetValue(host)!,
                result.GetValue(port),
                result.GetValue(connections),
                chosen is { Length: > 0 } ? chosen : SeedMessages,
                TimeSpan.FromSeconds(result.GetValue(timeout)),
                result.GetValue(verbose),
                Console.Out,
                Console.Error,
                linked.Token);
        });
        return command;
    }

    public static async Task<int> RunAsync(string host, int port, int connections, IReadOnlyList<string> messages, TimeSpan timeout, bool verbose, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
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

        byte[][] payloads = new byte[messages.Count][];
        for (int i = 0; i < payloads.Length; i++)
        {
            payloads[i] = Encoding.UTF8.GetBytes(messages[i]);
        }

        // Output lines of many connections interleave; one lock keeps each line whole.
        var output = TextWriter.Synchronized(stdout);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var runs = new Task<long>[connections];
        for (int i = 0; i < connections; i++)
        {
            runs[i] = RunConnectionAsync(i + 1, endPoint, payloads, verbose, output, deadline.Token);
        }

        long expectedPerConnection = 0;
        foreach (byte[] payload in payloads)
        {
            expectedPerConnection += payload.Length;
        }

        int complete = 0;
        long echoed = 0;
        for (int i = 0; i < runs.Length; i++)
        {
            try
            {
                long received = await runs[i].ConfigureAwait(false);
                echoed += received;
                if (received == expectedPerConnection)
                {
                    complete++;
                }
                else
                {
                    await stderr.WriteLineAsync($"Error: connection {i + 1}: {received} of {expectedPerConnection} byte(s) came back").ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                await stderr.WriteLineAsync($"Error: connection {i + 1}: no complete echo within {timeout.TotalSeconds:0.###} s").ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                await stderr.WriteLineAsync($"Error: connection {i + 1}: {e.Message}").ConfigureAwait(false);
            }
        }

        await stdout.WriteLineAsync($"{complete} of {connections} connection(s) complete: {echoed} of {expectedPerConnection * connections} byte(s) echoed").ConfigureAwait(false);
        return complete == connections ? (int)ExitCode.Success : (int)ExitCode.Failure;
    }

    private static async Task<long> RunConnectionAsync(int id, EndPoint endPoint, byte[][] payloads, bool verbose, TextWriter output, CancellationToken cancellationToken)
    {
        if (verbose)
        {
            output.WriteLine($"Starting connection {id} to {Endpoints.Format(endPoint)}");
        }

        long expected = 0;
        foreach (byte[] payload in payloads)
        {
            expected += payload.Length;
        }

        using Socket socket = Endpoints.CreateSocket(endPoint);
        await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        Task sending = SendAllAsync(id, socket, payloads, verbose, output, cancellationToken);

        byte[] buffer = new byte[1024];
        long received = 0;
        while (received < expected)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            received += n;
            if (verbose)
            {
                output.WriteLine($"Received {PythonRepr.Bytes(buffer.AsSpan(0, n))} from connection {id}");
            }
        }

        await sending.ConfigureAwait(false);
        if (verbose)
        {
            output.WriteLine($"Closing connection {id}");
        }

        return received;
    }

    private static async Task SendAllAsync(int id, Socket socket, byte[][] payloads, bool verbose, TextWriter output, CancellationToken cancellationToken)
    {
        foreach (byte[] payload in payloads)
        {
            if (verbose)
            {
                output.WriteLine($"Sending {PythonRepr.Bytes(payload)} to connection {id}");
            }

            await socket.SendAsync(payload, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }
}
