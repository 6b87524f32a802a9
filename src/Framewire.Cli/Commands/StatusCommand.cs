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

    // --wide: no table of a server's status comes near this many columns, so none is cut.
    private const int WideWidth = 1000;
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
        Option<bool> wide = new("--wide") { Description = "Show every column, however wide the table; without it, columns that do not fit the terminal (80 when piped) are left out" };
        var command = new Command("status", "Show a running server's connections (peer, state, age, bytes, frames, in flight) and counters, from a server started with --admin")
        {
            admin, json, watch, wide,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancellationToken);
            TimeSpan? interval = result.GetResult(watch) is null ? null : TimeSpan.FromSeconds(result.GetValue(watch) ?? DefaultWatchSeconds);
            int? width = result.GetValue(wide) ? null : Terminal.Width();
            return await RunAsync(result.GetValue(admin)!, result.GetValue(json), interval, width, Console.Out, Console.Error, linked.Token);
        });
        return command;
    }

    /// <param name="width">The columns the table must fit in; null for every column (<c>--wide</c>).</param>
    public static async Task<int> RunAsync(string admin, bool json, TimeSpan? watch, int? width, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
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
                Print(document, json, width, stdout);
                return (int)ExitCode.Success;
            }

            if (json)
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    Print(await FetchAsync(endPoint, cancellationToken).ConfigureAwait(false), json: true, width, stdout);
                    await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                }

                return (int)ExitCode.Success;
            }

            await WatchTableAsync(endPoint, interval, width, stdout, cancellationToken).ConfigureAwait(false);
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

    private static async Task WatchTableAsync(EndPoint endPoint, TimeSpan interval, int? width, TextWriter stdout, CancellationToken cancellationToken)
    {
        IAnsiConsole console = TableConsole(stdout, interactive: true, width);
        StatusDocument first = Parse(await FetchAsync(endPoint, cancellationToken).ConfigureAwait(false));
        await console.Live(StatusView.Render(first, width)).StartAsync(async context =>
        {
            while (true)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                context.UpdateTarget(StatusView.Render(Parse(await FetchAsync(endPoint, cancellationToken).ConfigureAwait(false)), width));
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

    private static void Print(byte[] document, bool json, int? width, TextWriter stdout)
    {
        if (json)
        {
            stdout.WriteLine(Encoding.UTF8.GetString(document));
        }
        else
        {
            TableConsole(stdout, interactive: false, width).Write(StatusView.Render(Parse(document), width));
        }

        stdout.Flush();
    }

    /// <summary>A console as wide as the table may be, so that Spectre does not wrap what the view has fitted.</summary>
    private static IAnsiConsole TableConsole(TextWriter stdout, bool interactive, int? width)
    {
        IAnsiConsole console = BenchConsole.Create(stdout, interactive);
        console.Profile.Width = width ?? WideWidth;
        return console;
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
