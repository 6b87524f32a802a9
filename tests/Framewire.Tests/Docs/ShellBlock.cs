using System.Text.RegularExpressions;

namespace Framewire.Tests.Docs;

/// <summary>
/// A fenced shell block of a Markdown page. Its info string says what the documentation test does with it:
/// <c>sh run</c> runs it as a script, <c>sh serve</c> starts it as a server that stays up for the runnable blocks after
/// it in its section (a heading of level 1 or 2 ends one), and plain <c>sh</c> is only read. In the blocks that run, a
/// line that starts with <c># </c> is output that must appear; <c>…</c> in it stands for any text.
/// </summary>
internal sealed record ShellBlock(string Page, int Line, string Mode, string Script, int Section)
{
    public const string Run = "run";
    public const string Serve = "serve";

    public string Where => $"{Page}:{Line}";

    /// <summary>The output lines the block shows, as patterns for a whole line.</summary>
    public IReadOnlyList<Regex> Expected =>
    [
        .. Script.Split('\n')
            .Where(l => l.StartsWith("# ", StringComparison.Ordinal))
            .Select(l => new Regex("^" + Regex.Escape(l[2..].TrimEnd()).Replace("…", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant)),
    ];

    /// <summary>The shell blocks of the page at <paramref name="path"/>, named by <paramref name="page"/>.</summary>
    public static IReadOnlyList<ShellBlock> Read(string path, string page)
    {
        var blocks = new List<ShellBlock>();
        string[] lines = File.ReadAllLines(path);
        int section = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("# ", StringComparison.Ordinal) || lines[i].StartsWith("## ", StringComparison.Ordinal))
            {
                section++;
                continue;
            }

            if (!lines[i].StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }

            string[] info = lines[i][3..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int start = i;
            var body = new List<string>();
            for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
            {
                body.Add(lines[i]);
            }

            if (info is ["sh", ..])
            {
                blocks.Add(new ShellBlock(page, start + 1, info.Length > 1 ? info[1] : string.Empty, string.Join('\n', body), section));
            }
        }

        return blocks;
    }
}
