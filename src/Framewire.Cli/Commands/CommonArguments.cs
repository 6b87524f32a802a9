using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Framewire.Engines;
using Framewire.Protocol;

namespace Framewire.Cli.Commands;

/// <summary>
/// The arguments and options several commands share, built fresh for each command that uses them, and the parsers
/// behind them. A value that does not parse is refused in one line that names the argument, what it takes and what it
/// got (<see cref="Reject"/>). A default is stated once: by <c>DefaultValueFactory</c>, which help prints, or, for an
/// option whose default lives elsewhere, in its description.
/// </summary>
internal static class CommonArguments
{
    public static readonly Choice<ServerEngine> Engines = new(ServerEngine.Selector, ServerEngine.Async, ServerEngine.Uring);

    public static readonly Choice<LogFormat> LogFormats = new(Cli.LogFormat.Console, Cli.LogFormat.Json);

    public static readonly Choice<ChecksumAlgorithm> Checksums = new(ChecksumAlgorithm.Crc32C, ChecksumAlgorithm.Sha256);

    public static Argument<string> Host() => new("host")
    {
        Description = "IPv4 or IPv6 address, host name, or unix:/path/to.sock",
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => Endpoints.DefaultHost,
        CustomParser = ParseHost,
    };

    public static Argument<int> Port() => new("port")
    {
        Description = "TCP port; 0 picks a free one for servers",
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => Endpoints.DefaultPort,
        CustomParser = ParsePort,
    };

    public static Argument<string> RequiredHost() => new("host") { Description = "The server's address, host name, or unix:/path/to.sock", CustomParser = ParseHost };

    public static Argument<int> RequiredPort() => new("port") { Description = "The server's port", CustomParser = ParsePort };

    public static Option<bool> Udp() => new("--udp") { Description = "Datagrams over UDP instead of a TCP connection" };

    public static Option<bool> Verbose() => new("--verbose", "-v") { Description = "Print a line per connection and per message, as the tutorial's programs do" };

    public static Option<LogFormat> LogFormat() => new("--log-format")
    {
        Description = "Logs on stderr: console, readable lines, or json, one JSON object per line",
        HelpName = LogFormats.HelpName,
        DefaultValueFactory = _ => Cli.LogFormat.Console,
        CustomParser = result => LogFormats.Parse(result) ?? Cli.LogFormat.Console,
    };

    public static Option<string?> Admin() => new("--admin")
    {
        Description = "Serve the live connection view for 'framewire status' and a web dashboard (http://ADDR/) on 127.0.0.1:PORT, [::1]:PORT or unix:/path (loopback only; off by default)",
        HelpName = "address",
    };

    public static Option<ServerEngine?> Engine() => new("--engine")
    {
        Description = "selector: event loops on epoll, one thread each, as the tutorial's selectors server; async: .NET async sockets and "
            + "pipelines; both serve TLS (default selector on Linux); uring: event loops on io_uring (Linux 6.1+, plain TCP; "
            + "falls back to selector with a warning where io_uring is refused)",
        HelpName = Engines.HelpName,
        CustomParser = Engines.Parse,
    };

    /// <summary>--checksum: the content-checksum header the command writes on every frame it sends.</summary>
    public static Option<ChecksumAlgorithm> Checksum(string sends) => new("--checksum")
    {
        Description = $"Write a content-checksum header on every {sends}; one that arrives is verified with or without this (default none)",
        HelpName = Checksums.HelpName,
        CustomParser = result => Checksums.Parse(result) ?? ChecksumAlgorithm.None,
    };

    public static Option<int> Loops() => new("--loops")
    {
        Description = "Event loops of the selector and uring engines; 0 is one per processor (default 0)",
        HelpName = "count",
        CustomParser = result => ParseInteger(result) ?? 0,
    };

    /// <summary>A size option with no default of its own: null when not given.</summary>
    public static Option<long?> OptionalSize(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "bytes",
        CustomParser = result => SizeParser.TryParse(TokenOf(result), out long bytes) ? bytes : Reject<long?>(result, "a size (such as 240, 64KiB, 16MiB)"),
    };

    /// <summary>
    /// A count for a server option, null when not given. Only the number is read here: its range is the library's to
    /// check (<see cref="MessageServerOptions.Validate"/>), so the command line, the library and the generic host say
    /// the same, the command line naming its flag.
    /// </summary>
    public static Option<int?> Count(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "count",
        CustomParser = ParseInteger,
    };

    /// <summary>A whole number of at least <paramref name="minimum"/>, <paramref name="defaultValue"/> when not given.</summary>
    public static Option<int> Whole(string name, string description, int minimum, int defaultValue, params string[] aliases) => new(name, aliases)
    {
        Description = description,
        HelpName = "count",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => ParseWhole(result, minimum) ?? defaultValue,
    };

    public static Option<int?> Backlog() =>
        Count("--backlog", "Connections the kernel queues before they are accepted; capped by net.core.somaxconn (default 4096)");

    public static Option<int?> MaxConnections() =>
        Count("--max-connections", "Most connections open at once, at most the open-files limit; more are refused with a server_busy error frame (default 10000)");

    /// <summary>Seconds for a server's timeout, 0 to disable it; null when not given. The range is the library's, as for <see cref="Count"/>.</summary>
    public static Option<double?> Seconds(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "seconds",
        CustomParser = result => TryParseSeconds(TokenOf(result), out double seconds) ? seconds : Reject<double?>(result, "a number of seconds (such as 120 or 0.5; 0 disables)"),
    };

    /// <summary>A client's <c>--timeout</c>: seconds above 0, <paramref name="defaultSeconds"/> when not given.</summary>
    public static Option<double> Timeout(string description, double defaultSeconds) => new("--timeout")
    {
        Description = description,
        HelpName = "seconds",
        DefaultValueFactory = _ => defaultSeconds,
        CustomParser = result => TryParseSeconds(TokenOf(result), out double seconds) && seconds > 0
            ? seconds
            : Reject<double>(result, "a number of seconds above 0 (such as 10 or 0.5)"),
    };

    /// <summary>Seconds as a command line gives them, null when not given.</summary>
    public static TimeSpan? ToTimeSpan(double? seconds) => seconds is double value ? TimeSpan.FromSeconds(value) : null;

    /// <summary>The token a parser reads; empty when the value was left out.</summary>
    public static string TokenOf(ArgumentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
    }

    /// <summary>
    /// Refuses the result's token in one line: "port must be a port number from 0 to 65535, not 'x'". A token that
    /// looks like an option where a positional argument was expected is named as the unknown option it is.
    /// </summary>
    public static void Reject(ArgumentResult result, string allowed)
    {
        ArgumentNullException.ThrowIfNull(result);
        string text = TokenOf(result);
        if (result.Parent is CommandResult command && UsageErrors.LooksLikeOption(text))
        {
            result.AddError(UsageErrors.UnknownOption(command.Command, text));
            return;
        }

        string name = result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
        result.AddError($"{name} must be {allowed}, not '{text}'");
    }

    /// <summary><see cref="Reject(ArgumentResult, string)"/> in a parser that must still return a value.</summary>
    public static T Reject<T>(ArgumentResult result, string allowed)
    {
        Reject(result, allowed);
        return default!;
    }

    /// <summary>A whole number of at least <paramref name="minimum"/>; null, with an error, for anything else.</summary>
    public static int? ParseWhole(ArgumentResult result, int minimum) =>
        int.TryParse(TokenOf(result), NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= minimum
            ? value
            : Reject<int?>(result, $"a whole number of at least {minimum}");

    /// <summary>A whole number, of either sign; null, with an error, for anything else.</summary>
    public static int? ParseInteger(ArgumentResult result) =>
        int.TryParse(TokenOf(result), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : Reject<int?>(result, "a whole number");

    public static int ParsePort(ArgumentResult result) =>
        int.TryParse(TokenOf(result), NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535
            ? port
            : Reject<int>(result, "a port number from 0 to 65535");

    private static bool TryParseSeconds(string text, out double seconds) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out seconds)
        && Math.Abs(seconds) <= TimeSpan.MaxValue.TotalSeconds / 2;

    private static string ParseHost(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : Endpoints.DefaultHost;
        if (string.IsNullOrWhiteSpace(text) || text.StartsWith('-'))
        {
            Reject(result, "an IP address, a host name or unix:/path/to.sock");
        }
        else if (text == Endpoints.UnixPrefix)
        {
            Reject(result, "unix: followed by the socket file's path (such as unix:/tmp/framewire.sock)");
        }

        return text;
    }
}
