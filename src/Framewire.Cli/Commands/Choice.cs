using System.CommandLine.Parsing;
using System.Globalization;

namespace Framewire.Cli.Commands;

/// <summary>
/// The values an enum argument or option takes, in lower case as the documentation spells them, and their parser.
/// System.CommandLine's own enum parsing names the .NET type and offers the values capitalized.
/// </summary>
internal sealed class Choice<T>
    where T : struct, Enum
{
    private readonly T[] _values;

    /// <param name="values">The values in the order help lists them, the default first.</param>
    public Choice(params T[] values) => _values = values;

    /// <summary>The values as help shows them: <c>selector|async</c>.</summary>
    public string HelpName => string.Join('|', Names());

    /// <summary>How the command line spells <paramref name="value"/>.</summary>
    public static string Spell(T value) => value.ToString().ToLower(CultureInfo.InvariantCulture);

    /// <summary>The value named by the result's token; null, with an error, when it names none.</summary>
    public T? Parse(ArgumentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string text = CommonArguments.TokenOf(result);
        foreach (T value in _values)
        {
            if (string.Equals(Spell(value), text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        CommonArguments.Reject(result, Words.OneOf(Names()));
        return null;
    }

    private IEnumerable<string> Names() => _values.Select(Spell);
}
