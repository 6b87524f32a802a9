namespace Framewire.Cli.Admin;

/// <summary>
/// The dashboard page, <c>Admin/Dashboard.html</c>: one self-contained file (its styles, script and charts inline),
/// embedded in the assembly and read once, so a request costs a copy and the page works without a network.
/// </summary>
internal static class DashboardPage
{
    private const string ResourceName = "Framewire.Cli.Admin.Dashboard.html";

    public static byte[] Html { get; } = Load();

    private static byte[] Load()
    {
        using Stream stream = typeof(DashboardPage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The resource {ResourceName} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
