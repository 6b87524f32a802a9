using Framewire.Tests.Support;

namespace Framewire.Tests.Docs;

/// <summary>
/// Where the documentation's commands run, as a reader who has followed the Quick start: a scratch folder that shows
/// the clone (a link to each of its entries, so the blocks' own files, certificates and the like, land in the scratch
/// folder), with <c>./setup.sh</c> run once. Its NuGet folder and .NET tool cache are its own, so the tests neither use
/// nor change the ones of the machine's user.
/// </summary>
public sealed class DocumentationWorkspace : IAsyncLifetime
{
    private static readonly TimeSpan SetupTimeout = TimeSpan.FromMinutes(3);

    private readonly string _root = Directory.CreateTempSubdirectory("framewire-docs-").FullName;

    public string WorkDirectory => Path.Combine(_root, "clone");

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["NUGET_PACKAGES"] = Path.Combine(_root, "packages"),
        ["DOTNET_CLI_HOME"] = Path.Combine(_root, "home"),
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
    };

    /// <summary>
    /// The script as the reader runs it, but for <c>./setup.sh</c>: the tests have built the solution already, so it
    /// packs what they built (<c>--no-build</c>, in their configuration).
    /// </summary>
    public static string AsRun(string script) =>
        script.Replace("./setup.sh", $"./setup.sh --no-build -p:Configuration={RepoPaths.Configuration}", StringComparison.Ordinal);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(WorkDirectory);
        foreach (string entry in Directory.EnumerateFileSystemEntries(RepoPaths.Root))
        {
            string name = Path.GetFileName(entry);
            if (name is not (".git" or "artifacts"))
            {
                File.CreateSymbolicLink(Path.Combine(WorkDirectory, name), entry);
            }
        }

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.Start("bash", ["-c", AsRun("./setup.sh")], Environment, WorkDirectory), SetupTimeout);
        if (code != 0)
        {
            throw new InvalidOperationException($"./setup.sh exited {code}:\n{stdout}\n{stderr}");
        }
    }

    public Task DisposeAsync()
    {
        // The links first, so that deleting the scratch folder cannot reach into the clone.
        foreach (string link in Directory.EnumerateFileSystemEntries(WorkDirectory).Where(e => new FileInfo(e).LinkTarget is not null))
        {
            File.Delete(link);
        }

        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }
}
