using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Framewire.Cli.Clients;
using Framewire.Selectors;

namespace Framewire.Cli.Commands;

/// <summary>
/// <c>framewire multiconn-client [host] [port] [num_connections]</c>: the tutorial's multi-connection client. Every
/// connection sends the messages in turn and closes once all of their bytes have come back. As in the tutorial, one
/// thread drives every connection through a <see cref="Selector"/>: non-blocking connects, a send when a socket is
/// writable, a receive when it is readable.
/// </summary>
internal static class MulticonnClientCommand
{
    private static readonly string[] TutorialMessages = ["Message 1 from client.", "Message 2 from client."];

    // The longest the loop waits in the selector before it looks at the cancellation token again.
    private static readonly TimeSpan CancellationPoll = TimeSpan.FromMilliseconds(100);

    public static Command Create(CancellationToken shutdown)
    {
        Argument<string> host = CommonArguments.Host();
        Argument<int> port = CommonArguments.Port();
        Argument<int> connections = new("num_connections")
        {
            Description = "How many connections to open",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => 2,
            CustomParser = result => CommonArguments.ParseWhole(result, minimum: 1) ?? 0,
        };
        Option<string[]> messages = new("--message", "-m")
        {
            Description = "A message to send; repeat for several (default the tutorial's two, 'Message 1 from client.' and 'Message 2 from client.')",
            HelpName = "text",
            AllowMultipleArgumentsPerToken = false,
        };
        Option<double> timeout = CommonArguments.Timeout("How long the whole run may take", 10);
        Option<bool> verbose = CommonArguments.Verbose();
        var command = new Command("multiconn-client", "The tutorial's multi-connection client (multiconn-client.py): several connections at once, each checking that every byte it sends comes back. Talks to multiconn-server and echo-server")
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
                chosen is { Length: > 0 } ? chosen : TutorialMessages,
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
        if (!Failures.TryResolve(host, port, stderr, out EndPoint? endPoint, out int failed))
        {
            return failed;
        }

        byte[][] payloads = new byte[messages.Count][];
        for (int i = 0; i < payloads.Length; i++)
        {
            payloads[i] = Encoding.UTF8.GetBytes(messages[i]);
        }

        byte[] echo = [.. payloads.SelectMany(p => p)];
        long expectedPerConnection = echo.Length;

        // The event loop blocks in the selector: it gets a thread of its own rather than one of the pool's.
        MulticonnConnection[] all = await Task.Factory.StartNew(
            () => RunLoop(endPoint, connections, payloads, echo, timeout, verbose, stdout, cancellationToken),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).ConfigureAwait(false);

        int complete = 0;
        long echoed = 0;
        foreach (MulticonnConnection connection in all)
        {
            echoed += connection.ReceivedTotal;
            if (connection.Error is string error)
            {
                await stderr.WriteLineAsync($"Error: connection {connection.Id}: {error}").ConfigureAwait(false);
            }
            else if (connection.ReceivedTotal == expectedPerConnection)
            {
                complete++;
            }
            else
            {
                await stderr.WriteLineAsync($"Error: connection {connection.Id}: {connection.ReceivedTotal} of {expectedPerConnection} byte(s) came back").ConfigureAwait(false);
            }
        }

        await stdout.WriteLineAsync($"{complete} of {connections} connection(s) complete: {echoed} of {expectedPerConnection * connections} byte(s) echoed").ConfigureAwait(false);
        return complete == connections ? (int)ExitCode.Success : (int)ExitCode.Failure;
    }

    /// <summary>The tutorial's <c>start_connections</c> and event loop: every connection on one selector, until all are closed or the time is up.</summary>
    private static MulticonnConnection[] RunLoop(EndPoint endPoint, int count, byte[][] payloads, byte[] echo, TimeSpan timeout, bool verbose, TextWriter output, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        using Selector selector = DefaultSelector.Create();
        var connections = new MulticonnConnection[count];
        int open = 0;
        for (int i = 0; i < count; i++)
        {
            int id = i + 1;
            if (verbose)
            {
                output.WriteLine($"Starting connection {id} to {Endpoints.Format(endPoint)}");
            }

            Socket socket = Endpoints.CreateSocket(endPoint);
            var connection = new MulticonnConnection(id, socket, payloads, echo);
            connections[i] = connection;
            SocketError started = NonBlockingConnect.Start(socket, endPoint);
            if (started is not (SocketError.Success or SocketError.InProgress))
            {
                connection.Close(Failures.CannotConnect(endPoint, new SocketException((int)started)));
                continue;
            }

            connection.Connecting = started == SocketError.InProgress;
            selector.Register(socket, SelectorEvents.Read | SelectorEvents.Write, connection);
            open++;
        }

        byte[] buffer = new byte[1024];
        while (open > 0 && !cancellationToken.IsCancellationRequested)
        {
            TimeSpan left = timeout - Stopwatch.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            // Waits are cut into slices so that Ctrl-C is noticed within one.
            foreach (SelectorEvent ready in selector.Select(left < CancellationPoll ? left : CancellationPoll))
            {
                var connection = (MulticonnConnection)ready.Key.Data!;
                ServiceConnection(selector, endPoint, connection, ready.Events, buffer, verbose, output);
                if (connection.IsClosed)
                {
                    open--;
                }
            }
        }

        foreach (MulticonnConnection connection in connections)
        {
            if (!connection.IsClosed)
            {
                selector.Unregister(connection.Socket);
                connection.Close($"no complete echo within {timeout.TotalSeconds:0.###} s");
            }
        }

        return connections;
    }

    /// <summary>The tutorial's client <c>service_connection</c>: receive on read-ready, send on write-ready, close once every byte is back.</summary>
    private static void ServiceConnection(Selector selector, EndPoint endPoint, MulticonnConnection connection, SelectorEvents events, byte[] buffer, bool verbose, TextWriter output)
    {
        Socket socket = connection.Socket;
        if (connection.Connecting)
        {
            connection.Connecting = false;
            SocketError connected = NonBlockingConnect.Finish(socket);
            if (connected != SocketError.Success)
            {
                Close(selector, connection, verbose, output, Failures.CannotConnect(endPoint, new SocketException((int)connected)));
                return;
            }
        }

        if ((events & SelectorEvents.Read) != 0)
        {
            int received = socket.Receive(buffer, SocketFlags.None, out SocketError error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                Close(selector, connection, verbose, output, new SocketException((int)error).Message);
                return;
            }

            if (error == SocketError.Success)
            {
                if (received > 0)
                {
                    if (verbose)
                    {
                        output.WriteLine($"Received {PythonRepr.Bytes(buffer.AsSpan(0, received))} from connection {connection.Id}");
                    }

                    if (connection.Receive(buffer.AsSpan(0, received)) is string problem)
                    {
                        Close(selector, connection, verbose, output, problem);
                        return;
                    }
                }

                if (received == 0 || connection.ReceivedTotal == connection.MessageTotal)
                {
                    Close(selector, connection, verbose, output);
                    return;
                }
            }
        }

        if ((events & SelectorEvents.Write) != 0)
        {
            if (connection.Outbox.IsEmpty && connection.HasMessages)
            {
                connection.Outbox = connection.TakeMessage();
                if (verbose)
                {
                    output.WriteLine($"Sending {PythonRepr.Bytes(connection.Outbox.Span)} to connection {connection.Id}");
                }
            }

            if (!connection.Outbox.IsEmpty)
            {
                int sent = socket.Send(connection.Outbox.Span, SocketFlags.None, out SocketError error);
                if (error is not (SocketError.Success or SocketError.WouldBlock))
                {
                    Close(selector, connection, verbose, output, new SocketException((int)error).Message);
                    return;
                }

                connection.Outbox = connection.Outbox[sent..];
            }

            if (connection.Outbox.IsEmpty && !connection.HasMessages)
            {
                // Unlike the tutorial, which keeps EVENT_WRITE to the end: a level-triggered selector reports an idle
                // socket writable on every call, which would spin the loop until the echo is back.
                selector.Modify(socket, SelectorEvents.Read);
                if (connection.MessageTotal == 0)
                {
                    Close(selector, connection, verbose, output);
                }
            }
        }
    }

    private static void Close(Selector selector, MulticonnConnection connection, bool verbose, TextWriter output, string? error = null)
    {
        if (verbose)
        {
            output.WriteLine($"Closing connection {connection.Id}");
        }

        selector.Unregister(connection.Socket);
        connection.Close(error);
    }
}
