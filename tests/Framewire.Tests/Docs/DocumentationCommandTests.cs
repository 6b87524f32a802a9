using System.Text.RegularExpressions;
using Framewire.Tests.Support;

namespace Framewire.Tests.Docs;

/// <summary>
/// The README's and docs/' runnable shell blocks, run as a reader runs them, against the real servers they start, on
/// loopback: each must exit 0 and print the output it shows (<see cref="ShellBlock"/>).
/// </summary>
[Collection(DocumentationCollection.Name)]
public sealed class DocumentationCommandTests(DocumentationWorkspace workspace)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ServeTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LeftoverGrace = TimeSpan.FromSeconds(2);

    public static TheoryData<string> Pages() => [.. DocumentationPages.All];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_RunnableBlocks_RunAsShown(string page)
    {
        var failures = new List<string>();
        Serving? server = null;
        try
        {
            foreach (ShellBlock block in DocumentationPages.Blocks(page))
            {
                if (server is not null && (block.Section != server.Block.Section || block.Mode == ShellBlock.Serve))
                {
                    failures.AddRange(await StopAsync(server));
                    server = null;
                }

                if (block.Mode == ShellBlock.Serve)
                {
                    (server, string? failure) = await ServeAsync(block);
                    failures.AddRange(failure is null ? [] : [failure]);
                }
                else if (block.Mode == ShellBlock.Run)
                {
                    failures.AddRange(await RunAsync(block));
                }
            }
        }
        finally
        {
            if (server is not null)
            {
                failures.AddRange(await StopAsync(server));
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private async Task<IEnumerable<string>> RunAsync(ShellBlock block)
    {
        await using ChildProcess child = Start("set -euo pipefail\n" + block.Script);
        int code;
        try
        {
            code = await child.WaitForExitAsync(RunTimeout);
        }
        catch (OperationCanceledException)
        {
            child.KillGroup();
            return [$"{block.Where}: still running after {RunTimeout.TotalSeconds} s\n{Output(child)}"];
        }

        // Whatever the block left running would hold its ports for the next one; a process substitution's shell may
        // take a moment to go after the script.
        bool leftovers = !await GroupEndsAsync(child, LeftoverGrace);
        child.KillGroup();
        string output = Output(child);
        return code != 0 ? [$"{block.Where}: exit {code}\n{output}"]
            : leftovers ? [$"{block.Where}: left a process running\n{output}"]
            : Missing(block, output);
    }

    private async Task<(Serving? Server, string? Failure)> ServeAsync(ShellBlock block)
    {
        var child = Start(block.Script);
        IReadOnlyList<Regex> awaited = block.Expected.Count > 0 ? block.Expected : [new Regex("^Listening on ", RegexOptions.CultureInvariant)];
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        while (waiting.Elapsed < ServeTimeout)
        {
            string[] lines = Lines(Output(child));
            if (awaited.All(pattern => lines.Any(pattern.IsMatch)))
            {
                return (new Serving(block, child), null);
            }

            if (child.HasExited)
            {
                break;
            }

            await Task.Delay(100);
        }

        child.KillGroup();
        await child.DisposeAsync();
        return (null, $"{block.Where}: the server did not print {string.Join(", ", awaited)}\n{Output(child)}");
    }

    private static async Task<IEnumerable<string>> StopAsync(Serving server)
    {
        await using ChildProcess child = server.Process;
        child.InterruptGroup();
        if (!await GroupEndsAsync(child, StopTimeout))
        {
            child.KillGroup();
            return [$"{server.Block.Where}: the server did not stop on Ctrl-C within {StopTimeout.TotalSeconds} s\n{Output(child)}"];
        }

        return [];
    }

    private static async Task<bool> GroupEndsAsync(ChildProcess child, TimeSpan timeout)
    {
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        while (child.GroupIsAlive && waiting.Elapsed < timeout)
        {
            await Task.Delay(50);
        }

        return !child.GroupIsAlive;
    }

    private ChildProcess Start(string script) =>
        ChildProcess.Start("setsid", ["bash", "-c", DocumentationWorkspace.AsRun(script)], workspace.Environment, workspace.WorkDirectory);

    private static IEnumerable<string> Missing(ShellBlock block, string output)
    {
        string[] lines = Lines(output);
        Regex[] missing = [.. block.Expected.Where(pattern => !lines.Any(pattern.IsMatch))];
        return missing.Length == 0 ? [] : [$"{block.Where}: no line like {string.Join(", ", missing.Select(p => p.ToString()))} in:\n{output}"];
    }

    private static string Output(ChildProcess child) => child.Stdout.Text + child.Stderr;

    private static string[] Lines(string output) => [.. output.Split('\n').Select(l => l.TrimEnd())];

    private sealed record Serving(ShellBlock Block, ChildProcess Process);
}
