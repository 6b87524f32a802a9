using System.CommandLine;
using System.Net.Sockets;
using System.Security.Authentication;
using Framewire.Client;
using Framewire.Protocol;

namespace Framewire.Cli.Commands;

/// <summary>
/// <c>framewire app-client host port action value</c>: the seed's application client. <c>search</c> sends a JSON
/// request, any other action sends <c>action + value</c> as binary; prints the answer as the seed's client does.
/// </summary>
internal static class AppClientCommand
{
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

    public static async Task<int> RunAsync(string host, int port, string action, string value, TimeSpan timeout, bool verbose, ClientTls tls, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tls);
        SeedRequest request = SeedRequest.Create(action, value);
        try
        {
            var options = new MessageClientOptions { ConnectTimeout = timeout, RequestTimeout = timeout, Tls = tls.Load() };
            if (verbose)
            {
                await stdout.WriteLineAsync($"Starting connection to {host}:{port}").ConfigureAwait(false);
            }

            await using MessageClient client = await MessageClient.ConnectAsync(host, port, options, cancellationToken).ConfigureAwait(false);
            if (verbose)
            {
                await stdout.WriteLineAsync($"Sending {request.ContentType} request ({request.Content.Length} bytes) to {Endpoints.Format(client.RemoteEndPoint)}").ConfigureAwait(false);
            }

            Response response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (verbose)
            {
                await stdout.WriteLineAsync($"Received {response.Header.ContentType} response from {Endpoints.Format(client.RemoteEndPoint)}").ConfigureAwait(false);
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
}
