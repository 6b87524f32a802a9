using System.Buffers;
using Framewire.Protocol;
using Framewire.Proxy;
using Framewire.Testing;

namespace Framewire.Fuzz;

/// <summary>
/// What the fuzzer drives. Each target throws only when an invariant breaks; any exception is a finding, since the
/// code under test must answer every input with a status, never an exception.
/// </summary>
internal static class FuzzTargets
{
    // Small limits make the fuzzer reach the limit checks with short inputs.
    private static readonly FrameLimits Limits = new() { MaxHeaderLength = 1024, MaxContentLength = 4096 };

    /// <summary>Decodes the input as a frame stream, whole and split in two, and requires both to agree.</summary>
    public static void Frames(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        string whole = Decode(new ReadOnlySequence<byte>(bytes));
        string split = Decode(Split(bytes, bytes.Length / 2));
        if (!string.Equals(whole, split, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The same bytes decoded differently when split: {whole} / {split}");
        }
    }

    /// <summary>Parses the input as a PROXY header, and requires a parsed header to parse the same from exactly its own bytes.</summary>
    public static void Proxy(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        ProxyParseStatus status = ProxyHeaderParser.Parse(Split(bytes, bytes.Length / 3), out ProxyHeader header, out string? error);
        if (status == ProxyParseStatus.Invalid && string.IsNullOrEmpty(error))
        {
            throw new InvalidOperationException("An invalid header came without a reason.");
        }

        if (status != ProxyParseStatus.Parsed)
        {
            return;
        }

        if (header.Length > bytes.Length || header.Length > ProxyHeaderParser.MaxLength)
        {
            throw new InvalidOperationException($"The header claims {header.Length} bytes of {bytes.Length}.");
        }

        ProxyParseStatus again = ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(bytes, 0, header.Length), out ProxyHeader same, out _);
        if (again != ProxyParseStatus.Parsed || same != header)
        {
            throw new InvalidOperationException("A header parsed differently from exactly its own bytes.");
        }
    }

    // A summary of everything decoded, to compare two runs over the same bytes.
    private static string Decode(ReadOnlySequence<byte> buffer)
    {
        var decoder = new FrameDecoder(Limits);
        var summary = new System.Text.StringBuilder();

        // Each frame consumes at least its 2-byte prefix, so this ends within input length / 2 passes.
        while (true)
        {
            DecodeStatus status = decoder.Decode(ref buffer, out Frame frame, out ProtocolError error);
            if (status == DecodeStatus.NeedMoreData)
            {
                return summary.Append("more;").ToString();
            }

            if (status == DecodeStatus.Error)
            {
                return summary.Append("error ").Append(error.WireCode).Append(';').ToString();
            }

            if (frame.Content.Length > Limits.MaxContentLength)
            {
                throw new InvalidOperationException($"A frame of {frame.Content.Length} bytes passed a {Limits.MaxContentLength}-byte limit.");
            }

            summary.Append(frame.Header.ContentType).Append(' ').Append(frame.Content.Length).Append(';');
        }
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, int at)
    {
        if (at <= 0 || at >= bytes.Length)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        return SegmentedSequence.Create([bytes.AsMemory(0, at), bytes.AsMemory(at)]);
    }
}
