namespace Framewire.Tests.Cli;

/// <summary>Tests that saturate the CPU (load generator runs): never in parallel with other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadTests
{
    public const string Name = "Load";
}
