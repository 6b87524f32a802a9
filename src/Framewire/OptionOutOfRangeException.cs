using System.Globalization;

namespace Framewire;

/// <summary>
/// A server option outside what it allows, from <see cref="Engines.MessageServerOptions.Validate"/>: the one check behind the
/// library, the generic host's configuration and the command line, so each reports the same sentence, naming the
/// option as its user knows it.
/// </summary>
public sealed class OptionOutOfRangeException : ArgumentOutOfRangeException
{
    // What the option must be, with {0} where a related option is named: "at least {0} (65536)".
    private readonly string _requirement;

    internal OptionOutOfRangeException(string option, object? actualValue, string requirement, string? relatedOption = null)
        : base(option, actualValue, null)
    {
        _requirement = requirement;
        RelatedOption = relatedOption;
    }

    /// <summary>The option's name: a <see cref="Engines.MessageServerOptions"/> or <see cref="Protocol.FrameLimits"/> property.</summary>
    public string Option => ParamName!;

    /// <summary>Another option the requirement is stated against, as <c>SendHighWater</c> is for <c>SendLimit</c>; null when none.</summary>
    public string? RelatedOption { get; }

    /// <summary>The sentence with the options under their property names, such as <c>MaxInFlight is 0; it must be at least 1.</c></summary>
    public override string Message => Describe(static name => name);

    /// <summary>
    /// The same sentence with each option named by <paramref name="nameOf"/>, such as a command line's flag for it:
    /// <c>--max-in-flight is 0; it must be at least 1.</c>
    /// </summary>
    public string Describe(Func<string, string> nameOf)
    {
        ArgumentNullException.ThrowIfNull(nameOf);
        string requirement = RelatedOption is null
            ? _requirement
            : string.Format(CultureInfo.InvariantCulture, _requirement, nameOf(RelatedOption));
        return $"{nameOf(Option)} is {FormatValue(ActualValue)}; it must be {requirement}.";
    }

    internal static string FormatValue(object? value) => value switch
    {
        null => "not set",
        TimeSpan time when time == Timeout.InfiniteTimeSpan => "infinite",
        TimeSpan time => time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
