using System.Reflection;

namespace Framewire.Tests.Support;

/// <summary>Folders of the repository the tests read from, found by walking up from the test binaries.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Interop => Path.Combine(Root, "tests", "interop");

    public static string Vectors => Path.Combine(Root, "tests", "vectors");

    /// <summary>The build configuration the tests were built in (Debug, Release), which the projects they run share.</summary>
    public static string Configuration { get; } =
        typeof(RepoPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Framewire.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Framewire.slnx not found above " + AppContext.BaseDirectory);
    }
}
