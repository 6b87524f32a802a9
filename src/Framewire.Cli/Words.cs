namespace Framewire.Cli;

/// <summary>Lists in the words an error message uses: "host, port and value", "echo, frame or oneshot".</summary>
internal static class Words
{
    public static string AllOf(IEnumerable<string> items) => Join(items, "and");

    public static string OneOf(IEnumerable<string> items) => Join(items, "or");

    private static string Join(IEnumerable<string> items, string last)
    {
        string[] all = [.. items];
        return all.Length < 2 ? string.Concat(all) : $"{string.Join(", ", all[..^1])} {last} {all[^1]}";
    }
}
