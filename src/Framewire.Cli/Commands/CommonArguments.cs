using System.CommandLine;
using System.CommandLine.Parsing;
using Framewire.Engines;

namespace Framewire.Cli.Commands;

/// <summary>The arguments and options several commands share, built fresh for each command that uses them.</summary>
internal static class CommonArguments
{
    public static Argument<string> Host() => new("host")
    {
        Description = $"IPv4/IPv6 address, host name, or unix:/path/to.sock (default {Endpoints.DefaultHost})",
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => Endpoints.DefaultHost,
        CustomParser = ParseHost,
    };

    public static Argument<int> Port() => new("port")
    {
        Description = $"TCP port; 0 picks a free one for servers (default {Endpoints.DefaultPort})",
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => Endpoints.DefaultPort,
        CustomParser = ParsePort,
    };

    public static Argument<string> RequiredHost() => new("host") { Description = "Server address, host name, or unix:/path/to.sock", CustomParser = ParseHost };

    public static Argument<int> RequiredPort() => new("port") { Description = "Server port", CustomParser = ParsePort };

    public static Option<bool> Udp() => new("--udp") { Description = "Datagrams over UDP instead of a TCP connection" };

    public static Option<bool> Verbose() => new("--verbose", "-v") { Description = "Print a line per connection and per message, as the seed's programs do" };

    public static Option<LogFormat> LogFormat() => new("--log-format")
    {
        Description = "Logs on stderr as console (readable lines, the default) or json (one JSON object per line)",
        DefaultValueFactory = _ => Cli.LogFormat.Console,
    };

    public static Option<string?> Admin() => new("--admin")
    {
        Description = "Serve the live connection view for 'framewire status' on 127.0.0.1:PORT, [::1]:PORT or unix:/path (loopback only; off by default)",
        HelpName = "address",
    };

    public static Option<ServerEngine?> Engine() => new("--engine")
    {
        Description = "selector: epoll event loops, one thread each (the seed's design); async: .NET async sockets and pipelines "
            + "(default: selector, or async when TLS is asked for, which only it serves)",
    };

    public static Option<int> Loops()
    {
        var loops = new Option<int>("--loops") { Description = "Event loops for the selector engine (default 0: one per processor)" };
        loops.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--loops must be 0 (one per processor) or more.");
            }
        });
        return loops;
    }

    public static Option<long> Size(string name, long defaultValue, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = ParseSize,
    };

    /// <summary>A size option with no default of its own: null when not given.</summary>
    public static Option<long?> OptionalSize(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "bytes",
        CustomParser = result => TryParseSize(result, out long bytes) ? bytes : null,
    };

    /// <summary>A count of 1 or more, null when not given.</summary>
    public static Option<int?> Count(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "count",
        CustomParser = ParseCount,
    };

    public static Option<int?> MaxConnections() =>
        Count("--max-connections", "Most connections open at once, at most the open-files limit; more get server_busy and are closed (default 10000)");

    public static Option<double?> Seconds(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "seconds",
        CustomParser = ParseSeconds,
    };

    /// <summary>Seconds as a command line gives them, null when not given.</summary>
    public static TimeSpan? ToTimeSpan(double? seconds) => seconds is double value ? TimeSpan.FromSeconds(value) : null;

    private static int? ParseCount(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int count) && count > 0)
        {
            return count;
        }

        result.AddError($"'{text}' is not a count (1 or more).");
        return null;
    }

    private static double? ParseSeconds(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (double.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out double seconds)
            && seconds <= TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return seconds;
        }

        result.AddError($"'{text}' is not a number of seconds (examples: 120, 0.5; 0 disables).");
        return null;
    }

    private static string ParseHost(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : Endpoints.DefaultHost;

        // An unknown option lands here as a positional value; say what it really is.
        if (text.StartsWith('-'))
        {
            result.AddError($"Unrecognized option '{text}'.");
        }

        return text;
    }

    private static int ParsePort(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) && port <= 65535)
        {
            return port;
        }

        result.AddError($"'{text}' is not a port number (0 to 65535).");
        return 0;
    }

    private static long ParseSize(ArgumentResult result) => TryParseSize(result, out long bytes) ? bytes : 0;

    private static bool TryParseSize(ArgumentResult result, out long bytes)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (SizeParser.TryParse(text, out bytes))
        {
            return true;
        }

        result.AddError($"'{text}' is not a size (examples: 240, 64KiB, 16MiB).");
        return false;
    }
}
