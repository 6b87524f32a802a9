namespace Framewire.Client;

/// <summary>The former name of <see cref="Request"/>, kept for one release.</summary>
/// <param name="ContentType">The request's content type.</param>
/// <param name="ContentEncoding">The request's content encoding.</param>
/// <param name="Content">The request's content.</param>
[Obsolete("Use Request: the same request under a name that says what it is. SeedRequest goes in the next release.")]
public sealed record SeedRequest(string ContentType, string ContentEncoding, ReadOnlyMemory<byte> Content)
{
    /// <inheritdoc cref="Request.Idempotent"/>
    public bool Idempotent { get; init; }

    /// <inheritdoc cref="Request.Create"/>
    public static SeedRequest Create(string action, string value) => From(Request.Create(action, value));

    /// <inheritdoc cref="Request.Json"/>
    public static SeedRequest Json(string action, string value) => From(Request.Json(action, value));

    /// <summary>This request under its new name.</summary>
    public Request ToRequest() => new(ContentType, ContentEncoding, Content) { Idempotent = Idempotent };

    private static SeedRequest From(Request request) => new(request.ContentType, request.ContentEncoding, request.Content);
}
