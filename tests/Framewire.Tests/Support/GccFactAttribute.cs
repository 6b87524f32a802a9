namespace Framewire.Tests.Support;

/// <summary>A fact that needs Linux and gcc on the PATH (to build bench/loadgen-c), reported as skipped elsewhere.</summary>
public sealed class GccFactAttribute : FactAttribute
{
    public GccFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only.";
        }
        else if (!OnPath("gcc"))
        {
            Skip = "gcc is not on the PATH.";
        }
    }

    private static bool OnPath(string program)
    {
        string[] dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (string dir in dirs)
        {
            if (File.Exists(Path.Combine(dir, program)))
            {
                return true;
            }
        }

        return false;
    }
}
