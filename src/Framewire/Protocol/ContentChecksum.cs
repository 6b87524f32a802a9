using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Framewire.Protocol;

/// <summary>
/// The optional <c>content-checksum</c> header: <c>"crc32c:&lt;8 hex digits&gt;"</c> or <c>"sha256:&lt;64 hex digits&gt;"</c>,
/// lower-case hex, over exactly the frame's content bytes. The CRC-32C is written as a 32-bit number, most significant
/// digit first (the content <c>123456789</c> is <c>crc32c:e3069283</c>); SHA-256 as its 32 bytes in order.
/// </summary>
/// <remarks>
/// Verification allocates nothing: the digest and its hex live on the stack, and content split over several buffers
/// is hashed by a per-thread hasher that is reset, not replaced. CRC-32C runs on the processor's crc32 instruction
/// (SSE4.2, Arm) where it has one.
/// </remarks>
public static class ContentChecksum
{
    /// <summary>The header's name.</summary>
    public const string HeaderName = "content-checksum";

    /// <summary>The longest header value, <c>sha256:</c> and 64 hex digits.</summary>
    public const int MaxValueLength = 7 + (2 * Sha256Length);

    private const int Crc32CLength = 4;
    private const int Sha256Length = 32;

    // An error message quotes at most this much of a bad value: headers run to 8 KiB by default.
    private const int QuotedValueLimit = 80;

    private static ReadOnlySpan<byte> Crc32CPrefix => "crc32c:"u8;

    private static ReadOnlySpan<byte> Sha256Prefix => "sha256:"u8;

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    [ThreadStatic]
    private static Crc32? t_crc32C;

    [ThreadStatic]
    private static IncrementalHash? t_sha256;

    /// <summary>The length of the header value <paramref name="algorithm"/> writes; 0 for <see cref="ChecksumAlgorithm.None"/>.</summary>
    public static int GetValueLength(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.None => 0,
        ChecksumAlgorithm.Crc32C => Crc32CPrefix.Length + (2 * Crc32CLength),
        ChecksumAlgorithm.Sha256 => Sha256Prefix.Length + (2 * Sha256Length),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown checksum algorithm."),
    };

    /// <summary>Writes the header value for <paramref name="content"/>, without quotes, as ASCII.</summary>
    /// <returns>The number of bytes written, <see cref="GetValueLength"/>.</returns>
    public static int WriteValue(ChecksumAlgorithm algorithm, ReadOnlySpan<byte> content, Span<byte> destination) =>
        WriteValue(algorithm, new ReadOnlySequence<byte>(), content, destination);

    /// <summary>Writes the header value for <paramref name="content"/>, without quotes, as ASCII.</summary>
    /// <returns>The number of bytes written, <see cref="GetValueLength"/>.</returns>
    public static int WriteValue(ChecksumAlgorithm algorithm, in ReadOnlySequence<byte> content, Span<byte> destination) =>
        WriteValue(algorithm, content, content.FirstSpan, destination);

    /// <summary>
    /// Checks <paramref name="frame"/>'s content against its <c>content-checksum</c> header; true when they agree or
    /// the frame has no such header.
    /// </summary>
    /// <param name="frame">The frame.</param>
    /// <param name="error"><c>checksum_mismatch</c> when the content differs; <c>checksum_invalid</c> when the value is not
    /// a known algorithm and its digest.</param>
    public static bool TryVerify(in Frame frame, out ProtocolError error)
    {
        IReadOnlyList<HeaderField> fields = frame.Header.CustomHeaders;
        for (int i = 0; i < fields.Count; i++)
        {
            if (string.Equals(fields[i].Name, HeaderName, StringComparison.Ordinal))
            {
                return TryVerify(fields[i], frame.Content, out error);
            }
        }

        error = default;
        return true;
    }

    /// <summary>Checks <paramref name="content"/> against a <c>content-checksum</c> header field.</summary>
    /// <inheritdoc cref="TryVerify(in Frame, out ProtocolError)"/>
    public static bool TryVerify(HeaderField field, in ReadOnlySequence<byte> content, out ProtocolError error)
    {
        string raw = field.RawJson;
        if (raw.Length < 2 || raw[0] != '"' || raw[^1] != '"')
        {
            error = new ProtocolError(ErrorCode.ChecksumInvalid, $"The header '{HeaderName}' must be a JSON string such as \"crc32c:e3069283\".");
            return false;
        }

        // An escape in the value is legal JSON and rare: only then is the string decoded.
        if (!raw.Contains('\\', StringComparison.Ordinal))
        {
            return TryVerify(raw.AsSpan(1, raw.Length - 2), content, out error);
        }

        if (!TryDecode(field, out string? value))
        {
            error = new ProtocolError(ErrorCode.ChecksumInvalid, $"The header '{HeaderName}' has escapes that do not decode to text (a lone surrogate such as \\ud800).");
            return false;
        }

        return TryVerify(value, content, out error);
    }

    // JSON lets a \u escape name half of a surrogate pair alone ("\ud800"), which is no text: the serializer refuses it.
    private static bool TryDecode(HeaderField field, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        try
        {
            value = field.StringValue ?? string.Empty;
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            value = null;
            return false;
        }
    }

    /// <summary>Checks <paramref name="content"/> against a <c>content-checksum</c> value such as <c>crc32c:e3069283</c>.</summary>
    /// <inheritdoc cref="TryVerify(in Frame, out ProtocolError)"/>
    public static bool TryVerify(ReadOnlySpan<char> value, in ReadOnlySequence<byte> content, out ProtocolError error)
    {
        ChecksumAlgorithm algorithm = StartsWithAscii(value, Crc32CPrefix) ? ChecksumAlgorithm.Crc32C
            : StartsWithAscii(value, Sha256Prefix) ? ChecksumAlgorithm.Sha256
            : ChecksumAlgorithm.None;
        if (algorithm == ChecksumAlgorithm.None)
        {
            error = new ProtocolError(ErrorCode.ChecksumInvalid, $"The {HeaderName} '{Quote(value)}' names no known algorithm (crc32c or sha256).");
            return false;
        }

        int length = GetValueLength(algorithm);
        if (value.Length != length || !IsLowerHex(value[Crc32CPrefix.Length..]))
        {
            error = new ProtocolError(
                ErrorCode.ChecksumInvalid,
                $"The {HeaderName} '{Quote(value)}' is not {Name(algorithm)}: and {length - Crc32CPrefix.Length} lower-case hex digits.");
            return false;
        }

        Span<byte> expected = stackalloc byte[MaxValueLength];
        expected = expected[..WriteValue(algorithm, content, content.FirstSpan, expected)];
        for (int i = Crc32CPrefix.Length; i < expected.Length; i++)
        {
            if (value[i] != expected[i])
            {
                error = Mismatch(value, expected);
                return false;
            }
        }

        error = default;
        return true;
    }

    private static int WriteValue(ChecksumAlgorithm algorithm, in ReadOnlySequence<byte> sequence, ReadOnlySpan<byte> span, Span<byte> destination)
    {
        // A sequence whose first span is all of it (or an empty sequence with a span) is hashed as one span.
        bool single = sequence.IsSingleSegment;
        Span<byte> digest = stackalloc byte[Sha256Length];
        ReadOnlySpan<byte> prefix;
        switch (algorithm)
        {
            case ChecksumAlgorithm.Crc32C:
                prefix = Crc32CPrefix;
                digest = digest[..Crc32CLength];
                uint crc = single ? Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, span) : Crc32COf(sequence);
                BinaryPrimitives.WriteUInt32BigEndian(digest, crc);
                break;
            case ChecksumAlgorithm.Sha256:
                prefix = Sha256Prefix;
                if (single)
                {
                    SHA256.HashData(span, digest);
                }
                else
                {
                    Sha256Of(sequence, digest);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "No checksum algorithm to write.");
        }

        prefix.CopyTo(destination);
        Span<byte> hex = destination[prefix.Length..];
        for (int i = 0; i < digest.Length; i++)
        {
            hex[2 * i] = HexDigits[digest[i] >> 4];
            hex[(2 * i) + 1] = HexDigits[digest[i] & 0xF];
        }

        return prefix.Length + (2 * digest.Length);
    }

    private static uint Crc32COf(in ReadOnlySequence<byte> content)
    {
        Crc32 crc = t_crc32C ??= new Crc32(Crc32ParameterSet.Crc32C);
        foreach (ReadOnlyMemory<byte> segment in content)
        {
            crc.Append(segment.Span);
        }

        uint value = crc.GetCurrentHashAsUInt32();
        crc.Reset();
        return value;
    }

    private static void Sha256Of(in ReadOnlySequence<byte> content, Span<byte> digest)
    {
        IncrementalHash sha = t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (ReadOnlyMemory<byte> segment in content)
        {
            sha.AppendData(segment.Span);
        }

        sha.GetHashAndReset(digest);
    }

    private static bool StartsWithAscii(ReadOnlySpan<char> value, ReadOnlySpan<byte> prefix)
    {
        if (value.Length < prefix.Length)
        {
            return false;
        }

        for (int i = 0; i < prefix.Length; i++)
        {
            if (value[i] != prefix[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLowerHex(ReadOnlySpan<char> digits) => !digits.ContainsAnyExcept(LowerHexDigits);

    private static string Name(ChecksumAlgorithm algorithm) => algorithm == ChecksumAlgorithm.Crc32C ? "crc32c" : "sha256";

    private static string Quote(ReadOnlySpan<char> value) =>
        value.Length <= QuotedValueLimit ? value.ToString() : string.Concat(value[..QuotedValueLimit], "…");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ProtocolError Mismatch(ReadOnlySpan<char> value, ReadOnlySpan<byte> expected) => new(
        ErrorCode.ChecksumMismatch,
        $"The content does not match its {HeaderName}: the header says {value}, the content's is {System.Text.Encoding.ASCII.GetString(expected)}.");
}
