namespace Framewire.Tests.Support;

/// <summary>A fact that needs Linux and a Chromium (Debian's <c>chromium</c>; .ci/run installs it), reported as skipped where it is missing.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only.";
        }
        else if (HeadlessChromium.Executable is null)
        {
            Skip = "chromium is not installed (apt-get install chromium); .ci/run installs it.";
        }
    }
}
