using System.CommandLine;
using System.CommandLine.Parsing;
using ReplicatedLog.Wire;

namespace ReplicatedLog.Commands;

/// <summary>The options the client commands share.</summary>
internal static class CommonOptions
{
    public static Option<string> Node() => new("--node")
    {
        Description = "A node's HOST:PORT; a follower sends the client on to its leader",
        Required = true,
        CustomParser = ParseAddress,
    };

    public static Option<double> Timeout() => new("--timeout")
    {
        Description = "Seconds to wait for a leader and its answer, retries included",
        DefaultValueFactory = _ => 10,
    };

    /// <summary>Refuses what is not HOST:PORT in one line that names the option.</summary>
    public static string ParseAddress(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (!NodeAddress.TryParse(text, out _, out _))
        {
            result.AddError($"{OptionName(result)} takes HOST:PORT, not '{text}'.");
        }

        return text;
    }

    private static string OptionName(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : "the address";
}
