namespace Framewire.Tests.Interop;

/// <summary>
/// What the tutorial's clients print for a given exchange, as the Python programs print it: the same lines are
/// expected whichever side, Python or ours, is the client and whichever is the server.
/// </summary>
internal static class TutorialExchanges
{
    /// <summary>
    /// app-client arguments (action, value) and the line it prints for the answer. Each row starts a client process
    /// in each direction, so the rows are the cases whose printed form differs; tests/vectors covers the rest byte for byte.
    /// </summary>
    public static TheoryData<string, string, string> App => new()
    {
        { "search", "morpheus", "Got result: Follow the white rabbit. \U0001f430" },
        { "search", "\U0001f436", "Got result: \U0001f43e Playing ball! \U0001f3d0" },
        { "search", "k", "Got result: No match for 'k'." },
        { "search", "café ☕", "Got result: No match for 'café ☕'." },
        { "hello", "world", "Got response: b'First 10 bytes of request: helloworld'" },
        { "bin", "ärger\U0001f436", "Got response: b'First 10 bytes of request: bin\\xc3\\xa4rger\\xf0'" },
        { "say", "it's", "Got response: b\"First 10 bytes of request: sayit's\"" },
        { "it's", " \"q\"", "Got response: b'First 10 bytes of request: it\\'s \"q\"'" },
    };

    /// <summary>An echo client's message and the line it prints for the echo.</summary>
    public static TheoryData<string, string> Echo => new()
    {
        { "Hello, world", "Received b'Hello, world'" },
        { "héllo \U0001f436", "Received b'h\\xc3\\xa9llo \\xf0\\x9f\\x90\\xb6'" },
    };

    /// <summary>The lines both multiconn clients print for connection <paramref name="id"/> besides what it received.</summary>
    public static IEnumerable<string> MulticonnLines(int id) =>
    [
        $"Sending b'Message 1 from client.' to connection {id}",
        $"Sending b'Message 2 from client.' to connection {id}",
        $"Closing connection {id}",
    ];

    /// <summary>The line a client prints for the answer: the one that starts with "Got ".</summary>
    public static string ResultLine(string stdout) =>
        Assert.Single(Lines(stdout), l => l.StartsWith("Got ", StringComparison.Ordinal));

    public static string[] Lines(string stdout) => stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
