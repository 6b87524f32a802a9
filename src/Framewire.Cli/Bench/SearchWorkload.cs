using System.Buffers;
using System.Text;
using Framewire.Apps;
using Framewire.Client;
using Framewire.Protocol;

namespace Framewire.Cli.Bench;

/// <summary>
/// The tutorial's search requests, cycling through its three keys and one that misses. The expected answers are
/// written here from the tutorial's table with the protocol's encoder, not by the server's handler, so a server is
/// checked against the tutorial's bytes rather than against itself.
/// </summary>
internal sealed class SearchWorkload : Workload
{
    /// <summary>A key the tutorial's table does not hold.</summary>
    public const string MissingKey = "neo";

    public SearchWorkload()
        : base("search", Requests(), Responses())
    {
    }

    /// <summary>The keys in the order they are sent.</summary>
    public static IReadOnlyList<string> Keys { get; } = ["morpheus", "ring", "\U0001f436", MissingKey];

    private static byte[][] Requests()
    {
        byte[][] requests = new byte[Keys.Count][];
        for (int i = 0; i < requests.Length; i++)
        {
            Request request = Request.Create("search", Keys[i]);
            requests[i] = Encode(request.ContentType, request.ContentEncoding, request.Content.Span);
        }

        return requests;
    }

    private static byte[][] Responses()
    {
        byte[][] responses = new byte[Keys.Count][];
        for (int i = 0; i < responses.Length; i++)
        {
            string key = Keys[i];
            string result = SearchHandler.DefaultTable.TryGetValue(key, out string? answer) ? answer : $"No match for '{key}'.";
            var content = new ArrayBufferWriter<byte>();
            var json = new PythonJsonWriter(content);
            json.WriteStartObject();
            json.WritePropertyName("result");
            json.WriteStringValue(Encoding.UTF8.GetBytes(result));
            json.WriteEndObject();
            responses[i] = Encode(ContentTypes.Json, ContentTypes.Utf8, content.WrittenSpan);
        }

        return responses;
    }

    private static byte[] Encode(string contentType, string contentEncoding, ReadOnlySpan<byte> content)
    {
        var frame = new ArrayBufferWriter<byte>();
        FrameEncoder.Write(frame, contentType, contentEncoding, content);
        return frame.WrittenSpan.ToArray();
    }
}
