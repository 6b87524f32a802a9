using System.IO.Compression;
using Framewire.Tests.Support;

namespace Framewire.Tests.Packaging;

/// <summary>
/// The packages as a user gets them: <c>dotnet pack</c> of the built solution, the tool installed into a folder of
/// its own from those packages alone, and the installed <c>framewire</c> serving and asking a search.
/// </summary>
[Collection(Name)]
public sealed class PackageTests : IDisposable
{
    public const string Name = "Packages";

    private static readonly TimeSpan DotnetTimeout = TimeSpan.FromMinutes(3);

    private readonly string _root = Directory.CreateTempSubdirectory("framewire-pack-").FullName;

    [Fact]
    public async Task Pack_ThenToolInstall_InstalledCommandServesAndAsks()
    {
        string artifacts = Path.Combine(_root, "artifacts");
        await RunDotnetAsync("pack", Path.Combine(RepoPaths.Root, "Framewire.slnx"), "-c", RepoPaths.Configuration, "--no-build", "--no-restore", "-o", artifacts);

        AssertPackageHolds(Path.Combine(artifacts, "Framewire.1.0.0.nupkg"), "README.md", "lib/net10.0/Framewire.Core.dll", "lib/net10.0/Framewire.Core.xml", "lib/net10.0/Framewire.Core.pdb");
        AssertPackageHolds(Path.Combine(artifacts, "Framewire.Hosting.1.0.0.nupkg"), "README.md", "lib/net10.0/Framewire.Hosting.xml");
        AssertPackageHolds(Path.Combine(artifacts, "Framewire.Cli.1.0.0.nupkg"), "tools/net10.0/any/DotnetToolSettings.xml", "tools/net10.0/any/framewire.dll");

        // Only the packages just made: a same-named package on a public feed must not stand in for them.
        string config = Path.Combine(_root, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="artifacts" value="{artifacts}" />
              </packageSources>
            </configuration>
            """);
        string tools = Path.Combine(_root, "tools");
        await RunDotnetAsync("tool", "install", "--tool-path", tools, "--configfile", config, "Framewire.Cli");
        string framewire = Path.Combine(tools, "framewire");

        (int helpCode, string help, _) = await ChildProcess.RunAsync(ChildProcess.Start(framewire, ["--help"]));
        Assert.Equal(0, helpCode);
        Assert.Contains("app-server", help, StringComparison.Ordinal);

        await using ChildProcess server = ChildProcess.Start(framewire, ["app-server", "127.0.0.1", "0"]);
        int port = await server.WaitForListeningPortAsync();
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.Start(framewire, ["app-client", "127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "search", "morpheus"]));
        server.Terminate();

        Assert.True(code == 0, stderr);
        Assert.Equal("Got result: Follow the white rabbit. \U0001f430", stdout.Trim());
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static void AssertPackageHolds(string package, params string[] entries)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        foreach (string entry in entries)
        {
            Assert.True(zip.GetEntry(entry) is not null, $"{Path.GetFileName(package)} lacks {entry}");
        }
    }

    private static async Task RunDotnetAsync(params string[] args)
    {
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(ChildProcess.Start("dotnet", args), DotnetTimeout);
        Assert.True(code == 0, $"dotnet {string.Join(' ', args)} exited {code}:\n{stdout}\n{stderr}");
    }
}
