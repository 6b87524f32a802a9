namespace Framewire.Tests.Packaging;

/// <summary>Packing writes to the projects' output folders: never alongside another test that does.</summary>
[CollectionDefinition(PackageTests.Name, DisableParallelization = true)]
public sealed class PackageCollection;
