using System.Buffers;
using Framewire.Protocol;

namespace Framewire.Cli.Bench;

/// <summary>
/// Binary frames as the tutorial's client sends for an action other than search: content of a fixed size whose first
/// bytes are the sequence number in decimal, answered with <c>First 10 bytes of request: </c> and those bytes.
/// </summary>
internal sealed class BinaryWorkload : Workload
{
    // The tutorial's server echoes the first 10 bytes of the content.
    private const int EchoedLength = 10;

    private static ReadOnlySpan<byte> AnswerPrefix => "First 10 bytes of request: "u8;

    private readonly int _stampLength;
    private readonly int _requestStampOffset;
    private readonly int _responseStampOffset;

    public BinaryWorkload(int contentLength)
        : this(contentLength, Math.Min(EchoedLength, contentLength))
    {
    }

    private BinaryWorkload(int contentLength, int stampLength)
        : base($"binary {contentLength} B", [Request(contentLength)], [Response(stampLength)])
    {
        _stampLength = stampLength;
        _requestStampOffset = RequestTemplate(0).Length - contentLength;
        _responseStampOffset = ResponseTemplate(0).Length - stampLength;
    }

    public override bool IsStamped => true;

    public override void StampRequest(Span<byte> request, long sequence) => Stamp(request.Slice(_requestStampOffset, _stampLength), sequence);

    public override void StampResponse(Span<byte> response, long sequence) => Stamp(response.Slice(_responseStampOffset, _stampLength), sequence);

    // The last digits of the sequence number in decimal, so that even a short content tells neighbours apart.
    private static void Stamp(Span<byte> digits, long sequence)
    {
        for (int i = digits.Length - 1; i >= 0; i--)
        {
            digits[i] = (byte)('0' + (sequence % 10));
            sequence /= 10;
        }
    }

    private static byte[] Request(int contentLength)
    {
        byte[] content = new byte[contentLength];
        content.AsSpan().Fill((byte)'x');
        return Encode(ContentTypes.ClientBinary, content);
    }

    private static byte[] Response(int stampLength)
    {
        byte[] content = new byte[AnswerPrefix.Length + stampLength];
        AnswerPrefix.CopyTo(content);
        return Encode(ContentTypes.ServerBinary, content);
    }

    private static byte[] Encode(string contentType, ReadOnlySpan<byte> content)
    {
        var frame = new ArrayBufferWriter<byte>();
        FrameEncoder.Write(frame, contentType, ContentTypes.Binary, content);
        return frame.WrittenSpan.ToArray();
    }
}
