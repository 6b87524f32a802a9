namespace Framewire.Tests.Support;

/// <summary>
/// A fact that records loopback traffic with tcpdump and reads it with tshark (CI installs both in .ci/run), reported
/// as skipped where either is missing.
/// </summary>
public sealed class CaptureFactAttribute : FactAttribute
{
    public CaptureFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only.";
        }
        else if (Tcpdump is null || Tshark is null)
        {
            Skip = "tcpdump or tshark is not installed (apt-get install tcpdump tshark); .ci/run installs them.";
        }
    }

    public static string? Tcpdump { get; } = Find("tcpdump");

    public static string? Tshark { get; } = Find("tshark");

    // tcpdump lives in sbin, which a non-root PATH often lacks.
    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/local/sbin", "/usr/bin"])
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
