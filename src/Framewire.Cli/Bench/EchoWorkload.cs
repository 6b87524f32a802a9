using System.Buffers.Binary;

namespace Framewire.Cli.Bench;

/// <summary>
/// Raw messages of a fixed size for an echo server: the sequence number (little-endian, as many of its 8 bytes as
/// fit) followed by a fixed pattern. The echo must be the same bytes.
/// </summary>
internal sealed class EchoWorkload : Workload
{
    public EchoWorkload(int size)
        : this(Pattern(size))
    {
    }

    private EchoWorkload(byte[] message)
        : base($"echo {message.Length} B", [message], [message])
    {
    }

    public override bool IsStamped => true;

    public override void StampRequest(Span<byte> request, long sequence) => Stamp(request, sequence);

    public override void StampResponse(Span<byte> response, long sequence) => Stamp(response, sequence);

    private static void Stamp(Span<byte> message, long sequence)
    {
        if (message.Length >= sizeof(long))
        {
            BinaryPrimitives.WriteInt64LittleEndian(message, sequence);
            return;
        }

        for (int i = 0; i < message.Length; i++)
        {
            message[i] = (byte)(sequence >> (8 * i));
        }
    }

    // Printable, and not a repetition of one byte, so a shifted echo does not compare equal.
    private static byte[] Pattern(int size)
    {
        byte[] message = new byte[size];
        for (int i = 0; i < size; i++)
        {
            message[i] = (byte)('a' + (i % 26));
        }

        return message;
    }
}
