namespace Framewire.Tests.Metrics;

/// <summary>
/// The <c>Framewire</c> meter is process-wide: tests that count its measurements run alone, so that no other
/// test's server adds to the counts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Metrics";
}
