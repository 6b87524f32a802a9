namespace ReplicatedLog.Node;

/// <summary>A node's command line: its number, its address, its peers' addresses and its data directory.</summary>
internal sealed record NodeSettings(int Id, string Listen, IReadOnlyList<string> Peers, string DataDirectory);
