namespace Framewire.Cli.Admin;

/// <summary>A sample as the event streams send it: its number since start (0 before the first) and its encoded event.</summary>
internal sealed record PublishedSample(long Sequence, byte[] Event);
