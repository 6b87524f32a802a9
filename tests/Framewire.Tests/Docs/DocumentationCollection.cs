namespace Framewire.Tests.Docs;

/// <summary>
/// The documentation's commands: they run servers on the ports the pages show (65432, 9000, 8443, …), so never in
/// parallel with other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DocumentationCollection : ICollectionFixture<DocumentationWorkspace>
{
    public const string Name = "Documentation";
}
