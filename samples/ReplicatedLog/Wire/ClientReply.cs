namespace ReplicatedLog.Wire;

/// <summary>
/// A node's answer to a put or a get. <paramref name="Status"/> is one of the constants below; a redirect names the
/// leader in <paramref name="Leader"/>.
/// </summary>
internal sealed record ClientReply(string Status, string? Value = null, string? Leader = null, string? Message = null)
{
    /// <summary>The write is committed, or the key was found.</summary>
    public const string Ok = "ok";

    /// <summary>The key has no value.</summary>
    public const string NotFound = "not_found";

    /// <summary>This node does not lead: ask <see cref="Leader"/>.</summary>
    public const string Redirect = "redirect";

    /// <summary>No leader is known, or the leader lost its term before the write committed: try again later.</summary>
    public const string Unavailable = "unavailable";
}
