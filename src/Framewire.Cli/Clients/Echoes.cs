namespace Framewire.Cli.Clients;

/// <summary>
/// Checks that what comes back to an echo client is what it sent, and names what came instead: the clients that
/// counted bytes alone printed an app-server's error frame as an echo, or more bytes echoed than were sent.
/// </summary>
internal static class Echoes
{
    public const string NotAnEcho = "the answer is not an echo of what was sent (is this an echo server?)";

    public const string FramedAnswer =
        "the answer is a frame of the frame protocol, not an echo of what was sent (is this an app-server? app-client talks to it)";

    public const string EchoedRequest =
        "the answer is an echo of the request, not an answer to it (is this an echo server? echo-client and multiconn-client talk to it)";

    /// <summary>
    /// How many of <paramref name="received"/>'s bytes are the echo <paramref name="expected"/> goes on with; when not
    /// all, <paramref name="problem"/> says what the answer is instead. <paramref name="atStart"/>: nothing came before
    /// <paramref name="received"/>, so it is the answer's first bytes.
    /// </summary>
    public static int Match(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> received, bool atStart, out string? problem)
    {
        int same = received.CommonPrefixLength(expected);
        problem = same == received.Length ? null
            : atStart && same == 0 && IsFrameStart(received) ? FramedAnswer
            : NotAnEcho;
        return same;
    }

    /// <summary>The frame protocol's start: a 2-byte big-endian header length, not 0, then the JSON header's <c>{</c>.</summary>
    private static bool IsFrameStart(ReadOnlySpan<byte> answer) => answer.Length >= 3 && (answer[0] | answer[1]) != 0 && answer[2] == (byte)'{';
}
