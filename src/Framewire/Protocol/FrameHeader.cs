namespace Framewire.Protocol;

/// <summary>
/// The decoded JSON header of a frame. The four required keys are typed; any other keys are kept in
/// <see cref="CustomHeaders"/> in the order they arrived.
/// </summary>
public readonly struct FrameHeader
{
    /// <summary>Creates a header.</summary>
    public FrameHeader(string byteOrder, string contentType, string contentEncoding, int contentLength, IReadOnlyList<HeaderField>? customHeaders = null)
    {
        ArgumentNullException.ThrowIfNull(byteOrder);
        ArgumentNullException.ThrowIfNull(contentType);
        ArgumentNullException.ThrowIfNull(contentEncoding);
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        ByteOrder = byteOrder;
        ContentType = contentType;
        ContentEncoding = contentEncoding;
        ContentLength = contentLength;
        CustomHeaders = customHeaders ?? [];
    }

    /// <summary>The sender's byte order as it wrote it (<c>little</c> or <c>big</c> from Python's <c>sys.byteorder</c>).</summary>
    public string ByteOrder { get; }

    /// <summary>The content type; <c>text/json</c> is JSON text, anything else is opaque bytes.</summary>
    public string ContentType { get; }

    /// <summary>The content encoding: a text encoding for <c>text/json</c>, conventionally <c>binary</c> otherwise.</summary>
    public string ContentEncoding { get; }

    /// <summary>The content size in bytes.</summary>
    public int ContentLength { get; }

    /// <summary>Keys beyond the required four, in arrival order (empty when there are none).</summary>
    public IReadOnlyList<HeaderField> CustomHeaders { get; }

    /// <summary>True when the content is JSON text (<c>text/json</c>).</summary>
    public bool IsJson => string.Equals(ContentType, ContentTypes.Json, StringComparison.Ordinal);

    /// <summary>The value of the custom header <paramref name="name"/> as raw JSON, or null.</summary>
    public string? GetCustomHeader(string name)
    {
        IReadOnlyList<HeaderField> fields = CustomHeaders;
        for (int i = 0; i < fields.Count; i++)
        {
            if (string.Equals(fields[i].Name, name, StringComparison.Ordinal))
            {
                return fields[i].RawJson;
            }
        }

        return null;
    }
}
