namespace Framewire;

/// <summary>
/// Names for the server's <see cref="System.Diagnostics.Metrics"/> instruments, for exporters and
/// <c>dotnet-counters monitor --counters Framewire</c>.
/// </summary>
public static class FramewireMetrics
{
    /// <summary>The name of the meter every server in the process records to.</summary>
    public const string MeterName = "Framewire";
}
