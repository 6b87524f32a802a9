namespace Framewire.Cli.Admin;

/// <summary>What <see cref="HttpRequestHead.TryRead"/> found.</summary>
internal enum HttpHeadStatus
{
    Incomplete,
    Complete,
    TooLarge,
    Malformed,
}
