using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Framewire.Cli.Admin;
using Framewire.Cli.Bench;
using Framewire.Client;
using Framewire.Protocol;
using Spectre.Console;

namespace Framewire.Cli.Commands;

/// <summary>
/// <c>framewire status --admin ADDR</c>: asks a server started with <c>--admin ADDR</c> for its connections and
/// counters, the built-in replacement for the tutorial's advice to watch <c>netstat</c> and <c>lsof</c>.
/// </summary>
internal static class StatusCommand
{
    private const double DefaultWatchSeconds = 2;
    private static readonly byte[] Request = "{\"action\": \"status\"}"u8.ToArray();

    public static Command Create(CancellationToken shutdown)
    {
        Option<string> admin = new("--admin")
        {
            Description = "The address the server's --admin serves: 127.0.0.1:PORT, [::1]:PORT or unix:/path",
            HelpName = "address",
            Required = true,
        };
        Option<bool> json = new("--json") { Description = "Print the status as one JSON document (one per line with --watch)" };
        Option<double?> watch = new("--watch")
        {
            Description = $"Refresh every this many seconds until Ctrl-C ({DefaultWatchSeconds} when no number follows)",
            HelpName = "seconds",
            Arity = ArgumentArity.ZeroOrOne,
            CustomParser = ParseInterval,
        };
        var command = new Command("status", "Show a running server's connections (peer, age, state, bytes, in flight) and counters")
        {
            admin, json, watch,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            TimeSpan? interval = result.GetResult(watch) is null ? null : TimeSpan.FromSeconds(result.GetValue(watch) ?? DefaultWatchSeconds);
            return await RunAsync(result.GetValue(admin)!, result.GetValue(json), interval, Console.Out, Console.Error, linked.Token);
        });
        return command;
    }

    public static async Task<int> RunAsync(string admin, bool json, TimeSpan? watch, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        EndPoint endPoint;
        try
        {
            endPoint = AdminAddress.Parse(admin);
        }
        catch (ArgumentException e)
        {
            return Failures.Refused(stderr, e);
        }

        try
        {
            if (watch is not TimeSpan interval)
            {
                byte[] document = await FetchAsync(endPoint, cancellationToken).ConfigureAwait(false);
                Print(document, json, stdout);
                return (int)ExitCode.Success;
            }

            if (json)
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    Print(await FetchAsync(endPoint, cancellationToken).ConfigureAwait(false), json: true, stdout);
                    await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                }

                return (int)ExitCode.Success;
            }

            await WatchTableAsync(endPoint, interval, stdout, cancellationToken).ConfigureAwait(false);
            return (int)ExitCode.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C ends a watch.
            return (int)ExitCode.Success;
        }
        catch (SocketException e)
        {
            return Failures.Failed(stderr, $"{Failures.CannotConnect(endPoint, e)}; was the server started with --admin {admin}?");
        }
        catch (Exception e) when (e is TimeoutException or IOException or JsonException or ProtocolException)
        {
            return Failures.Failed(stderr, $"no status from {Endpoints.Format(endPoint)}: {e.Message}");
        }
    }

    private static async Task WatchTableAsync(EndPoint endPoint, TimeSpan interval, TextWriter stdout, CancellationToken cancellationToken)
    {
        IAnsiConsole console = BenchConsole.Create(stdout, interactive: true);
        StatusDocument first = Parse(await FetchAsync(endPoint, cancellationToken).ConfigureAwait(false));
        await console.Live(StatusView.Render(first)).StartAsync(async context =>
        {
            while (true)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                context.UpdateTarget(StatusView.Render(Parse(await FetchAsync(endPoint, cancellationToken).ConfigureAwait(false))));
                context.Refresh();
            }
        }).ConfigureAwait(false);
    }

    /// <summary>One status request on a fresh connection: the server may have restarted between refreshes.</summary>
    private static async Task<byte[]> FetchAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var options = new MessageClientOptions { ConnectTimeout = TimeSpan.FromSeconds(5), RequestTimeout = TimeSpan.FromSeconds(10) };
        await using MessageClient client = await MessageClient.ConnectAsync(endPoint, options, cancellationToken).ConfigureAwait(false);
        Response response = await client.SendAsync(ContentTypes.Json, ContentTypes.Utf8, Request, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (response.TryGetError(out ProtocolError error))
        {
            throw new ProtocolException(error);
        }

        return response.Content.ToArray();
    }

    private static StatusDocument Parse(byte[] document) =>
        JsonSerializer.Deserialize(document, AdminJsonContext.Default.StatusDocument) ?? throw new JsonException("The status document is null.");

    private static void Print(byte[] document, bool json, TextWriter stdout)
    {
        if (json)
        {
            stdout.WriteLine(Encoding.UTF8.GetString(document));
        }
        else
        {
            BenchConsole.Create(stdout, interactive: false).Write(StatusView.Render(Parse(document)));
        }

        stdout.Flush();
    }

    private static double? ParseInterval(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
        {
            return DefaultWatchSeconds;
        }

        return double.TryParse(result.Tokens[0].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) && seconds is >= 0.1 and <= 3600
            ? seconds
            : CommonArguments.Reject<double?>(result, "a number of seconds from 0.1 to 3600");
    }
}
