using System.Text.Json;
using Framewire.Protocol;

namespace Framewire.Tests.Support;

/// <summary>
/// tests/vectors/frames.json, the frames the Python programs write, read once. Theory rows carry only a vector's
/// name, so a failing row names its vector and the data stays in the one generated file.
/// </summary>
internal static class FrameVectors
{
    private static readonly Lazy<(Dictionary<string, Vector> Vectors, Dictionary<string, DecodeCase> Cases)> All = new(Load);

    public static IEnumerable<Vector> Vectors => All.Value.Vectors.Values;

    public static IEnumerable<DecodeCase> DecodeCases => All.Value.Cases.Values;

    public static Vector Get(string name) => All.Value.Vectors[name];

    public static DecodeCase GetCase(string name) => All.Value.Cases[name];

    public static TheoryData<string> Names(IEnumerable<string> names)
    {
        var data = new TheoryData<string>();
        foreach (string name in names)
        {
            data.Add(name);
        }

        return data;
    }

    private static (Dictionary<string, Vector>, Dictionary<string, DecodeCase>) Load()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.Vectors, "frames.json")));
        JsonElement root = document.RootElement;

        var vectors = new Dictionary<string, Vector>(StringComparer.Ordinal);
        foreach (JsonElement v in root.GetProperty("vectors").EnumerateArray())
        {
            var vector = new Vector(
                Text(v, "name"),
                Text(v, "action"),
                Text(v, "value"),
                v.GetProperty("request_from_app_client").GetBoolean(),
                Hex(v, "request_frame_hex"),
                Hex(v, "response_frame_hex"),
                Text(v, "response_content_type"),
                Text(v, "response_content_encoding"),
                Hex(v, "response_content_hex"),
                v.TryGetProperty("response_result", out JsonElement result) ? result.GetString() : null);
            vectors.Add(vector.Name, vector);
        }

        var cases = new Dictionary<string, DecodeCase>(StringComparer.Ordinal);
        foreach (JsonElement c in root.GetProperty("decode_cases").EnumerateArray())
        {
            var custom = new List<HeaderField>();
            foreach (JsonElement field in c.GetProperty("custom_headers").EnumerateArray())
            {
                custom.Add(new HeaderField(Text(field, "name"), Text(field, "raw_json")));
            }

            var decodeCase = new DecodeCase(
                Text(c, "name"),
                Hex(c, "frame_hex"),
                Text(c, "byteorder"),
                Text(c, "content_type"),
                Text(c, "content_encoding"),
                c.GetProperty("content_length").GetInt32(),
                Hex(c, "content_hex"),
                custom,
                c.TryGetProperty("json_text", out JsonElement text) ? text.GetString() : null,
                c.TryGetProperty("json_value", out JsonElement value) ? value.GetRawText() : null);
            cases.Add(decodeCase.Name, decodeCase);
        }

        return (vectors, cases);
    }

    private static string Text(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new InvalidDataException($"frames.json: '{name}' is null.");

    private static byte[] Hex(JsonElement element, string name) => Convert.FromHexString(Text(element, name));

    /// <summary>A request and the answer the Python app-server gives it.</summary>
    internal sealed record Vector(
        string Name,
        string Action,
        string Value,
        bool RequestFromAppClient,
        byte[] RequestFrame,
        byte[] ResponseFrame,
        string ResponseContentType,
        string ResponseContentEncoding,
        byte[] ResponseContent,
        string? ResponseResult);

    /// <summary>One frame and what decoding it must give; the JSON fields are null for opaque content.</summary>
    internal sealed record DecodeCase(
        string Name,
        byte[] Frame,
        string ByteOrder,
        string ContentType,
        string ContentEncoding,
        int ContentLength,
        byte[] Content,
        IReadOnlyList<HeaderField> CustomHeaders,
        string? JsonText,
        string? JsonValue);
}
