namespace Framewire.Tests.Soak;

/// <summary>
/// The soak tests: long, CPU-hungry, and measuring a server's descriptors and memory, so never in parallel with
/// other tests. Filter them out locally with <c>--filter Category!=Soak</c>.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoakCollection
{
    public const string Name = "Soak";
}
