using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Framewire.Cli;

/// <summary>
/// A command line's parse errors as the lines <c>framewire</c> prints: one per problem, each naming the argument or
/// option, and what it takes. System.CommandLine reports a missing argument once per argument without naming it, an
/// unknown command twice, and a value it cannot convert by its .NET type; the values our parsers refuse arrive
/// already worded (<see cref="Commands.CommonArguments.Reject(ArgumentResult, string)"/>).
/// </summary>
internal static class UsageErrors
{
    public static IReadOnlyList<string> Describe(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        Command command = parsed.CommandResult.Command;
        var lines = new List<string>();
        var missing = new List<Argument>();
        foreach (ParseError error in parsed.Errors)
        {
            switch (error.SymbolResult)
            {
                case ArgumentResult { Tokens.Count: 0, Parent: CommandResult } argument when argument.Argument.Arity.MinimumNumberOfValues > 0:
                    missing.Add(argument.Argument);
                    break;
                case OptionResult { Tokens.Count: 0, IdentifierTokenCount: 0 } option:
                    lines.Add($"{Name(command)} needs {Label(option.Option)}");
                    break;
                case OptionResult { Tokens.Count: 0 } option when option.Option.Arity.MinimumNumberOfValues > 0:
                    lines.Add($"{option.Option.Name} needs a value: {Label(option.Option)}");
                    break;
                case CommandResult:
                    // "Required command was not provided" and "Unrecognized command or argument": both come from the
                    // unmatched tokens, described below, or from no command at all.
                    break;
                default:
                    lines.Add(error.Message);
                    break;
            }
        }

        if (missing.Count > 0)
        {
            lines.Insert(0, $"{Name(command)} needs {Words.AllOf(missing.Select(a => a.Name))}: {HelpText.Usage(command)}");
        }

        // After an unknown option, a token too many is most likely that option's value: the option is the problem.
        bool unknownOption = parsed.Tokens.Any(t => t.Type == TokenType.Argument && LooksLikeOption(t.Value));
        foreach (string token in parsed.UnmatchedTokens)
        {
            if (LooksLikeOption(token))
            {
                lines.Add(UnknownOption(command, token));
            }
            else if (command is RootCommand rootCommand)
            {
                lines.Add(UnknownCommand(rootCommand, token));
            }
            else if (!unknownOption)
            {
                lines.Add($"'{token}' is one argument too many for {HelpText.Usage(command)}");
            }
        }

        if (lines.Count == 0 && command is RootCommand root)
        {
            lines.Add($"name a command: {Words.OneOf(Visible(root.Subcommands).Select(c => c.Name))} (framewire --help says what each does)");
        }

        return lines.Distinct().ToList();
    }

    /// <summary>An option <paramref name="command"/> does not have, with the closest one it has.</summary>
    public static string UnknownOption(Command command, string token)
    {
        ArgumentNullException.ThrowIfNull(command);
        IEnumerable<string> names = OptionsOf(command).SelectMany(o => o.Aliases.Prepend(o.Name));
        string? closest = Closest(token, names);
        return closest is null
            ? $"{Name(command)} has no option '{token}' ({Name(command)} --help lists them)"
            : $"{Name(command)} has no option '{token}'; did you mean '{closest}'?";
    }

    /// <summary>A token that starts like an option and is not a negative number.</summary>
    public static bool LooksLikeOption(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token.StartsWith('-') && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }

    private static string UnknownCommand(RootCommand root, string token)
    {
        IEnumerable<string> names = Visible(root.Subcommands).Select(c => c.Name);
        string? closest = Closest(token, names);
        return closest is null
            ? $"'{token}' is not a framewire command; the commands are {Words.AllOf(names)}"
            : $"'{token}' is not a framewire command; did you mean '{closest}'?";
    }

    private static string Name(Command command) => command is RootCommand ? "framewire" : "framewire " + command.Name;

    private static string Label(Option option) => $"{option.Name} <{HelpText.ValueName(option)}>";

    private static IEnumerable<Command> Visible(IEnumerable<Command> commands) => commands.Where(c => !c.Hidden);

    private static IEnumerable<Option> OptionsOf(Command command)
    {
        IEnumerable<Option> own = command.Options;
        foreach (Symbol parent in command.Parents)
        {
            if (parent is Command outer)
            {
                own = own.Concat(outer.Options.Where(o => o.Recursive));
            }
        }

        return own.Where(o => !o.Hidden);
    }

    /// <summary>The candidate a typo most likely meant: within a third of its length in edits, or none.</summary>
    private static string? Closest(string token, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int distance = Distance(token, candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return bestDistance <= Math.Max(2, token.Length / 3) ? best : null;
    }

    /// <summary>Levenshtein distance, ignoring case.</summary>
    private static int Distance(string a, string b)
    {
        int[] previous = new int[b.Length + 1];
        int[] current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
