namespace ReplicatedLog.Wire;

/// <summary>
/// A client's request, <c>text/json</c> in the tutorial's shape: <c>{"action": "put", "key": …, "value": …}</c>,
/// <c>{"action": "get", "key": …}</c> or <c>{"action": "status"}</c>. A get with <paramref name="Local"/> reads the
/// node's own copy instead of going to the leader: it may be behind, which is what a test of catching up looks at.
/// </summary>
internal sealed record ClientRequest(string Action, string? Key = null, string? Value = null, bool Local = false)
{
    public const string Put = "put";
    public const string Get = "get";
    public const string Status = "status";
}
