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
/// <c>framewire app-client host port action value</c>: the tutorial's application client. <c>search</c> sends a JSON
/// request, any other action sends <c>action + value</c> as binary; prints the answer as the tutorial's client does.
/// Like the tutorial's client, it runs the connection from a <see cref="Selector"/> event loop; over TLS it uses
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
        Option<double> timeout = CommonArguments.Timeout("How long to wait for the connection and for the answer", 10);
        Option<bool> verbose = CommonArguments.Verbose();
        Option<ChecksumAlgorithm> checksum = CommonArguments.Checksum("request");
        (Option[] tlsOptions, Func<ParseResult, ClientTls> readTls) = ClientTls.CreateOptions();
        var command = new Command("app-client", "The tutorial's application client (app-client.py): one request in the frame protocol, one answer. Talks to app-server")
        {
            host, port, action, value, timeout, verbose, checksum,
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
                result.GetValue(checksum),
                Console.Out,
                Console.Error,
                linked.Token);
        });
        return command;
    }

    public static async Task<int> RunAsync(
        string host, int port, string action, string value, TimeSpan timeout, bool verbose, ClientTls tls, ChecksumAlgorithm checksum, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tls);
        if (!Failures.TryResolve(host, port, stderr, out EndPoint? endPoint, out int failed))
        {
            return failed;
        }

        string target = Endpoints.Format(endPoint);
        try
        {
            Request request = Request.Create(action, value);
            TlsClientOptions? tlsOptions = tls.Load();
            if (verbose)
            {
                await stdout.WriteLineAsync($"Starting connection to {host}:{port}").ConfigureAwait(false);
            }

            (Response response, bool echoed) = tlsOptions is null
                ? await Task.Factory.StartNew(
                    // The event loop blocks in the selector: it gets a thread of its own rather than one of the pool's.
                    () => Exchange(endPoint, request, checksum, timeout, verbose, stdout, cancellationToken),
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default).ConfigureAwait(false)
                : (await ExchangeOverTlsAsync(host, port, endPoint, request, checksum, timeout, tlsOptions, cancellationToken).ConfigureAwait(false), false);
            if (echoed)
            {
                return Failures.Failed(stderr, Echoes.EchoedRequest);
            }

            if (verbose)
            {
                await stdout.WriteLineAsync($"Received {response.Header.ContentType} response from {target}").ConfigureAwait(false);
            }

            if (!response.IsJson)
            {
                await stdout.WriteLineAsync($"Got response: {PythonRepr.Bytes(response.Content.Span)}").ConfigureAwait(false);
                return (int)ExitCode.Success;
            }

            await stdout.WriteLineAsync($"Got result: {response.GetResultText()}").ConfigureAwait(false);
            return response.TryGetError(out ProtocolError error) ? Failures.Failed(stderr, $"the server refused the request: {error}") : (int)ExitCode.Success;
        }
        catch (ArgumentException e)
        {
            return Failures.Refused(stderr, e);
        }
        catch (ProtocolException e) when (e.Code is ErrorCode.ChecksumMismatch or ErrorCode.ChecksumInvalid)
        {
            return Failures.Failed(stderr, $"the answer from {target} failed its checksum: {e.Error}");
        }
        catch (ProtocolException e)
        {
            return Failures.Failed(stderr, $"the answer is not a frame of the frame protocol: {e.Message} (is this an app-server?)");
        }
        catch (AuthenticationException e)
        {
            return Failures.Failed(stderr, $"the TLS handshake with {target} failed: {e.Message} (does the server serve TLS? app-server does with --tls-cert and --tls-key)");
        }
        catch (SocketException e)
        {
            return Failures.Failed(stderr, $"{target}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or TimeoutException)
        {
            return Failures.Failed(stderr, e.Message);
        }
    }

    private static async Task<Response> ExchangeOverTlsAsync(
        string host, int port, EndPoint endPoint, Request request, ChecksumAlgorithm checksum, TimeSpan timeout, TlsClientOptions tls, CancellationToken cancellationToken)
    {
        var options = new MessageClientOptions { ConnectTimeout = timeout, RequestTimeout = timeout, Tls = tls, Checksum = checksum };
        MessageClient client;
        try
        {
            client = await MessageClient.ConnectAsync(host, port, options, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException(Failures.CannotConnect(endPoint, e), e);
        }

        await using (client.ConfigureAwait(false))
        {
            return await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The tutorial's app-client loop: a non-blocking connect registered for writing, the request sent as the socket
    /// allows, then reading until one whole answer frame is in. The connect and the answer each get
    /// <paramref name="timeout"/>.
    /// </summary>
    private static (Response Response, bool Echoed) Exchange(
        EndPoint endPoint, Request request, ChecksumAlgorithm checksum, TimeSpan timeout, bool verbose, TextWriter output, CancellationToken cancellationToken)
    {
        using Socket socket = Endpoints.CreateSocket(endPoint);
        SocketError started = NonBlockingConnect.Start(socket, endPoint);
        if (started is not (SocketError.Success or SocketError.InProgress))
        {
            throw new IOException(Failures.CannotConnect(endPoint, new SocketException((int)started)));
        }

        using Selector selector = DefaultSelector.Create();
        var message = new AppClientMessage(selector, socket, request, checksum, connecting: started == SocketError.InProgress, verbose ? output : null, Endpoints.Format(endPoint));
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
                    ? $"cannot connect to {Endpoints.Format(endPoint)}: no answer within {timeout.TotalSeconds:0.###} s"
                    : $"no answer from {Endpoints.Format(endPoint)} within {timeout.TotalSeconds:0.###} s");
            }

            // Waits are cut into slices so that Ctrl-C is noticed within one.
            foreach (SelectorEvent ready in selector.Select(left < CancellationPoll ? left : CancellationPoll))
            {
                try
                {
                    ((AppClientMessage)ready.Key.Data!).ProcessEvents(ready.Events);
                }
                catch (SocketException e) when (message.Connecting)
                {
                    throw new IOException(Failures.CannotConnect(endPoint, e), e);
                }
            }

            if (wasConnecting && !message.Connecting)
            {
                wasConnecting = false;
                phaseStart = Stopwatch.GetTimestamp();
            }
        }

        selector.Unregister(socket);
        return (message.Response, message.IsEchoOfRequest);
    }
}
