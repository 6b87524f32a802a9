using System.CommandLine;
using System.Text.RegularExpressions;
using Framewire.Cli;
using Framewire.Tests.Support;

namespace Framewire.Tests.Docs;

/// <summary>What the pages say, read without running it: every command they show is one the parser takes.</summary>
public partial class DocumentationTextTests
{
    public static TheoryData<string> Pages() => [.. DocumentationPages.All];

    [Theory]
    [MemberData(nameof(Pages))]
    public void Page_EveryFramewireCommandLine_Parses(string page)
    {
        RootCommand root = FramewireCommand.Create(CancellationToken.None);
        var failures = new List<string>();
        foreach (ShellBlock block in DocumentationPages.Blocks(page))
        {
            foreach (string line in block.Script.Split('\n').Where(l => !l.StartsWith('#')))
            {
                foreach (Match command in FramewireCommandLine().Matches(line))
                {
                    // A command followed by `|| echo "exit $?"` shows a failure on purpose; the runnable blocks check it.
                    string arguments = command.Groups["arguments"].Value;
                    if (arguments.Contains('$', StringComparison.Ordinal) || line[(command.Index + command.Length)..].StartsWith("||", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    ParseResult parsed = root.Parse(Split(arguments));
                    failures.AddRange(UsageErrors.Describe(parsed).Select(e => $"{block.Where}: framewire {arguments}: {e}"));
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Page_CommandsAreTheOnesTheQuickStartMakes(string page)
    {
        // After the Quick start the command is `dotnet framewire`; a bare `framewire <subcommand>` would not be found.
        string[] bare =
        [
            .. DocumentationPages.Blocks(page)
                .SelectMany(b => b.Script.Split('\n').Where(l => !l.StartsWith('#')).Select(l => (b.Where, Line: l)))
                .Where(l => BareCommand().IsMatch(l.Line))
                .Select(l => $"{l.Where}: {l.Line}"),
        ];

        Assert.True(bare.Length == 0, string.Join('\n', bare));
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Page_RunnableBlocks_StayOnLoopback(string page)
    {
        foreach (ShellBlock block in DocumentationPages.Blocks(page).Where(b => b.Mode is ShellBlock.Run or ShellBlock.Serve))
        {
            Assert.DoesNotContain("0.0.0.0", block.Script, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Page_SaysTheTutorial_NotSeed(string page)
    {
        Assert.DoesNotContain("seed", File.ReadAllText(Path.Combine(RepoPaths.Root, page)), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Readme_AtMost250Lines_QuickStartFirst()
    {
        string[] readme = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"));
        ShellBlock first = DocumentationPages.Blocks("README.md")[0];

        Assert.True(readme.Length <= 250, $"{readme.Length} lines");
        Assert.Equal(ShellBlock.Serve, first.Mode);
        Assert.StartsWith("./setup.sh && dotnet framewire app-server", first.Script, StringComparison.Ordinal);
        Assert.Contains("```sh\ndotnet test Framewire.slnx -c Release\n```", string.Join('\n', readme), StringComparison.Ordinal);
    }

    /// <summary>A command line's words, as a shell splits them: quotes group, and go.</summary>
    private static string[] Split(string text) =>
        [.. ShellWord().Matches(text).Select(m => m.Groups["single"].Success ? m.Groups["single"].Value : m.Groups["double"].Success ? m.Groups["double"].Value : m.Value)];

    // `dotnet framewire …` up to the end of the command: a pipe, a list operator, a redirection or a comment.
    [GeneratedRegex(@"dotnet framewire (?<arguments>[^|;&>#]*)")]
    private static partial Regex FramewireCommandLine();

    [GeneratedRegex(@"(?<![\w/.-])(?<!dotnet )framewire (echo-server|echo-client|multiconn-server|multiconn-client|app-server|app-client|bench|status)\b")]
    private static partial Regex BareCommand();

    [GeneratedRegex("'(?<single>[^']*)'|\"(?<double>[^\"]*)\"|[^\\s]+")]
    private static partial Regex ShellWord();
}
