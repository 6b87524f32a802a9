using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;
using System.Text;

namespace Framewire.Cli;

/// <summary>
/// <c>--help</c>, replacing System.CommandLine's own: optional arguments in brackets wherever a command is shown
/// (its list of commands shows every argument as required), each default stated once, enum values as the
/// documentation spells them, and text wrapped at the terminal's width.
/// </summary>
internal sealed class HelpText : SynchronousCommandLineAction
{
    private const int MaxLabelColumn = 34;

    /// <summary>Help is asked for by a command line that may be incomplete (<c>app-client --help</c>): its errors do not count.</summary>
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        Write(parseResult.CommandResult.Command, parseResult.InvocationConfiguration.Output, Terminal.Width());
        return (int)ExitCode.Success;
    }

    /// <summary>Puts this help on <paramref name="root"/>'s help option, which every subcommand shares.</summary>
    public static void InstallOn(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (Option option in root.Options)
        {
            if (option is System.CommandLine.Help.HelpOption help)
            {
                help.Action = new HelpText();
            }
        }
    }

    public static void Write(Command command, TextWriter output, int width)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"Usage: {Usage(command)}");
        output.WriteLine();
        foreach (string line in Wrap(command.Description ?? string.Empty, width))
        {
            output.WriteLine(line);
        }

        Section(output, "Arguments", command.Arguments.Where(a => !a.Hidden).Select(a => (a.Name, Describe(a.Description, a.HasDefaultValue ? a.GetDefaultValue() : null))), width);
        Section(output, "Commands", command.Subcommands.Where(c => !c.Hidden).Select(c => (c.Name + Arguments(c), c.Description ?? string.Empty)), width);
        Section(output, "Options", OptionsOf(command).Select(o => (Label(o), Describe(o.Description, o.HasDefaultValue ? o.GetDefaultValue() : null))), width);
        if (command is RootCommand)
        {
            output.WriteLine();
            output.WriteLine("'framewire <command> --help' shows a command's arguments and options.");
        }
    }

    /// <summary>The command's synopsis: <c>framewire echo-client [host] [port] [options]</c>.</summary>
    public static string Usage(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command is RootCommand)
        {
            return "framewire <command> [arguments] [options]";
        }

        var usage = new StringBuilder("framewire ").Append(command.Name).Append(Arguments(command));
        foreach (Option option in command.Options.Where(o => o.Required))
        {
            usage.Append(' ').Append(option.Name).Append(" <").Append(ValueName(option)).Append('>');
        }

        return usage.Append(" [options]").ToString();
    }

    /// <summary>What an option's value is called in help: its help name, or its name without the dashes.</summary>
    public static string ValueName(Option option)
    {
        ArgumentNullException.ThrowIfNull(option);
        return option.HelpName ?? option.Name.TrimStart('-');
    }

    private static string Arguments(Command command)
    {
        var text = new StringBuilder();
        foreach (Argument argument in command.Arguments.Where(a => !a.Hidden))
        {
            string name = argument.HelpName ?? argument.Name;
            text.Append(' ').Append(argument.Arity.MinimumNumberOfValues > 0 ? $"<{name}>" : $"[{name}]");
        }

        return text.ToString();
    }

    private static IEnumerable<Option> OptionsOf(Command command)
    {
        IEnumerable<Option> options = command.Options;
        foreach (Symbol parent in command.Parents)
        {
            if (parent is Command outer)
            {
                options = options.Concat(outer.Options.Where(o => o.Recursive));
            }
        }

        return options.Where(o => !o.Hidden).Distinct();
    }

    private static string Label(Option option)
    {
        IEnumerable<string> names = option.Aliases.Where(a => a.StartsWith('-')).Append(option.Name).OrderBy(n => n.Length).Distinct();
        string label = string.Join(", ", names);
        return option.Arity.MaximumNumberOfValues == 0 || option.ValueType == typeof(bool) ? label
            : option.Arity.MinimumNumberOfValues == 0 ? $"{label} [<{ValueName(option)}>]"
            : $"{label} <{ValueName(option)}>";
    }

    private static string Describe(string? description, object? defaultValue)
    {
        string text = description ?? string.Empty;
        string? shown = defaultValue switch
        {
            null or false or Array { Length: 0 } => null,
            Enum value => value.ToString().ToLower(CultureInfo.InvariantCulture),
            IFormattable value => value.ToString(null, CultureInfo.InvariantCulture),
            _ => defaultValue.ToString(),
        };
        return shown is null ? text : $"{text} (default {shown})";
    }

    private static void Section(TextWriter output, string title, IEnumerable<(string Label, string Text)> rows, int width)
    {
        (string Label, string Text)[] all = [.. rows];
        if (all.Length == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"{title}:");
        int column = Math.Min(all.Max(r => r.Label.Length), MaxLabelColumn) + 4;
        foreach ((string label, string text) in all)
        {
            List<string> lines = Wrap(text, Math.Max(width - column, 20));
            bool fits = label.Length + 4 <= column;
            output.WriteLine(fits ? $"  {label.PadRight(column - 2)}{(lines.Count > 0 ? lines[0] : string.Empty)}" : $"  {label}");
            foreach (string line in fits ? lines.Skip(1) : lines)
            {
                output.WriteLine(new string(' ', column) + line);
            }
        }
    }

    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }

            line.Append(line.Length > 0 ? " " : string.Empty).Append(word);
        }

        if (line.Length > 0)
        {
            lines.Add(line.ToString());
        }

        return lines;
    }
}
