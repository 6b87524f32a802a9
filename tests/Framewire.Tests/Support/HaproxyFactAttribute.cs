namespace Framewire.Tests.Support;

/// <summary>A fact that needs Linux and haproxy (CI installs it in .ci/run), reported as skipped where it is missing.</summary>
public sealed class HaproxyFactAttribute : FactAttribute
{
    public HaproxyFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only.";
        }
        else if (Executable is null)
        {
            Skip = "haproxy is not installed (apt-get install haproxy); .ci/run installs it.";
        }
    }

    /// <summary>haproxy's path: on the PATH, or in the sbin folders a non-root PATH often lacks.</summary>
    public static string? Executable { get; } = Find();

    private static string? Find()
    {
        IEnumerable<string> dirs = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/local/sbin"]);
        foreach (string dir in dirs)
        {
            string path = Path.Combine(dir, "haproxy");
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
