namespace Framewire.Protocol;

/// <summary>
/// A header key beyond the four the protocol requires (a custom header), with its value kept as the JSON text
/// that arrived, so any JSON type survives a round trip unchanged.
/// </summary>
/// <param name="Name">The key.</param>
/// <param name="RawJson">The value as JSON text, for example <c>"abc"</c> (with quotes) or <c>42</c>.</param>
public readonly record struct HeaderField(string Name, string RawJson)
{
    /// <summary>A field whose value is the JSON string <paramref name="value"/>.</summary>
    public static HeaderField FromString(string name, string value) => new(name, PythonJsonWriter.ToJsonString(value));

    /// <summary>The value as a string when it is a JSON string; otherwise null.</summary>
    public string? StringValue
    {
        get
        {
            if (RawJson.Length < 2 || RawJson[0] != '"')
            {
                return null;
            }

            return System.Text.Json.JsonSerializer.Deserialize(RawJson, ProtocolJsonContext.Default.String);
        }
    }
}
