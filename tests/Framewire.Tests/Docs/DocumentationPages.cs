using Framewire.Tests.Support;

namespace Framewire.Tests.Docs;

/// <summary>The pages a reader follows: the README, then every page of docs/.</summary>
internal static class DocumentationPages
{
    public static IEnumerable<string> All =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md")
            .Select(path => "docs/" + Path.GetFileName(path))
            .Order(StringComparer.Ordinal)
            .Prepend("README.md");

    public static IReadOnlyList<ShellBlock> Blocks(string page) => ShellBlock.Read(Path.Combine(RepoPaths.Root, page), page);
}
