using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Framewire.Cli.Clients;
using Framewire.Client;
using Framewire.Protocol;
using Framewire.Selectors;

namespace Framewire.Cli.Commands;

/// <summary>
/// <c>framewire app-client host port action value</c>: the seed's application client. <c>search</c> sends a JSON
/// request, any other action sends <c>action + value</c> as binary; prints the answer as the seed's client does.
/// Like the seed's client, it runs the connection from a <see cref="Selector"/> event loop; over TLS it uses
/// <see cref="MessageClient"/>, as the handshake needs a stream.
/// </summary>
internal static class AppClientCommand
{
    // The longest the loop waits in the selector before it looks at the cancellation token again.
    private static readonly TimeSpan CancellationPoll = TimeSpan.FromMilliseconds(100);

    public static Command Create(CancellationToken shutdown)
    {
        Argument<string> host = CommonArguments.RequiredHost();
        Argument<int> port = CommonArguments.RequiredPort();
        Argument<string> action = new("action") { Description = "search, or anything else for a binary request" };
        Argument<string> value = new("value") { Description = "The search key, or the rest of the binary content" };
        Option<double> timeout = new("--timeout") { Description = "Seconds to wait for the connection and for the answer", DefaultValueFactory = _ => 10 };
        Option<bool> verbose = CommonArguments.Verbose();
        (Option[] tlsOptions, Func<ParseResult, ClientTls> readTls) = ClientTls.CreateOptions();
        var command = new Command("app-client", "The seed's application client: one request, one answer")
        {
            host, port, action, value, timeout, verbose,
        };
        foreach (Option option in tlsOptions)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            return await RunAsync(
                result.GetValue(host)!,
                result.GetValue(port),
                result.GetValue(action)!,
                result.GetValue(value)!,
                TimeSpan.FromSeconds(result.GetValue(timeout)),
                result.GetValue(verbose),
                readTls(result),
                Console.Out,
                Console.Error,
                linked.Token);
        });
        return command;
    }

    public static async Task<int> RunAsync(
        string host, int port, string action, string value, TimeSpan timeout, bool verbose, ClientTls tls, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tls);
        try
        {
            EndPoint endPoint = Endpoints.Parse(host, port);
            Request request = Request.Create(action, value);
            TlsClientOptions? tlsOptions = tls.Load();
            if (verbose)
            {
                await stdout.WriteLineAsync($"Starting connection to {host}:{port}").ConfigureAwait(false);
            }

            Response response = tlsOptions is null
                ? await Task.Factory.StartNew(
                    // The event loop blocks in the selector: it gets a thread of its own rather than one of the pool's.
                    () => Exchange(endPoint, request, timeout, verbose, stdout, cancellationToken),
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default).ConfigureAwait(false)
                : await ExchangeOverTlsAsync(host, port, request, timeout, tlsOptions, cancellationToken).ConfigureAwait(false);
            if (verbose)
            {
                await stdout.WriteLineAsync($"Received {response.Header.ContentType} response from {Endpoints.Format(endPoint)}").ConfigureAwait(false);
            }

            if (!response.IsJson)
            {
                await stdout.WriteLineAsync($"Got response: {PythonRepr.Bytes(response.Content.Span)}").ConfigureAwait(false);
                return (int)ExitCode.Success;
            }

            await stdout.WriteLineAsync($"Got result: {response.GetResultText()}").ConfigureAwait(false);
            if (response.TryGetError(out ProtocolError error))
            {
                await stderr.WriteLineAsync($"Error: the server refused the request: {error}").ConfigureAwait(false);
                return (int)ExitCode.Failure;
            }

            return (int)ExitCode.Success;
        }
        catch (ArgumentException e)
        {
            await stderr.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Usage;
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException or ProtocolException or AuthenticationException)
        {
            await stderr.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Failure;
        }
    }

    private static async Task<Response> ExchangeOverTlsAsync(
        string host, int port, Request request, TimeSpan timeout, TlsClientOptions tls, CancellationToken cancellationToken)
    {
        var options = new MessageClientOptions { ConnectTimeout = timeout, RequestTimeout = timeout, Tls = tls };
        await using MessageClient client = await MessageClient.ConnectAsync(host, port, options, cancellationToken).ConfigureAwait(false);
        return await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The seed's app-client loop: a non-blocking connect registered for writing, the request sent as the socket
    /// allows, then reading until one whole answer frame is in. The connect and the answer each get
    /// <paramref name="timeout"/>.
    /// </summary>
    private static Response Exchange(EndPoint endPoint, Request request, TimeSpan timeout, bool verbose, TextWriter output, CancellationToken cancellationToken)
    {
        using Socket socket = Endpoints.CreateSocket(endPoint);
        SocketError started = NonBlockingConnect.Start(socket, endPoint);
        if (started is not (SocketError.Success or SocketError.InProgress))
        {
            throw new SocketException((int)started);
        }

        using Selector selector = DefaultSelector.Create();
        var message = new AppClientMessage(selector, socket, request, connecting: started == SocketError.InProgress, verbose ? output : null, Endpoints.Format(endPoint));
        selector.Register(socket, SelectorEvents.Write, message);
        long phaseStart = Stopwatch.GetTimestamp();
        bool wasConnecting = message.Connecting;
        while (message.Response is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan left = timeout - Stopwatch.GetElapsedTime(phaseStart);
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException(message.Connecting
                    ? $"Connecting to {Endpoints.Format(endPoint)} took longer than {timeout.TotalSeconds:0.###} s."
                    : $"No response within {timeout.TotalSeconds:0.###} s.");
            }

            // Waits are cut into slices so that Ctrl-C is noticed within one.
            foreach (SelectorEvent ready in selector.Select(left < CancellationPoll ? left : CancellationPoll))
            {
                ((AppClientMessage)ready.Key.Data!).ProcessEvents(ready.Events);
            }

            if (wasConnecting && !message.Connecting)
            {
                wasConnecting = false;
                phaseStart = Stopwatch.GetTimestamp();
            }
        }

        selector.Unregister(socket);
        return message.Response;
    }
}
