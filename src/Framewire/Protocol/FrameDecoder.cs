using System.Buffers;
using Framewire.Protocol.Internal;

namespace Framewire.Protocol;

/// <summary>
/// Decodes frames incrementally from a byte stream: a 2-byte big-endian header length, that many bytes of UTF-8
/// JSON header, then <c>content-length</c> bytes of content. A frame split at any byte boundary, or many frames
/// in one buffer, decode the same. One decoder serves one stream; it is not thread-safe.
/// </summary>
/// <remarks>
/// Limits are checked as early as the bytes allow: the header length from the 2-byte prefix alone, the first
/// header byte as soon as it arrives (so a stray TLS or HTTP client is refused at once), and the content length
/// before any content is waited for. Nothing is copied or allocated for a frame before its header has passed.
/// </remarks>
public sealed class FrameDecoder
{
    private const int PrefixLength = 2;

    // Headers up to this size that straddle buffer segments are joined on the stack.
    private const int StackallocThreshold = 512;

    private readonly FrameLimits _limits;
    private FrameHeader _header;
    private bool _hasHeader;

    /// <summary>Creates a decoder that enforces <paramref name="limits"/> (the defaults when null).</summary>
    public FrameDecoder(FrameLimits? limits = null) => _limits = limits ?? FrameLimits.Default;

    /// <summary>The limits this decoder enforces.</summary>
    public FrameLimits Limits => _limits;

    /// <summary>True when a header has been consumed and its content has not yet arrived completely.</summary>
    public bool IsAwaitingContent => _hasHeader;

    /// <summary>The content length still awaited when <see cref="IsAwaitingContent"/>; otherwise 0.</summary>
    public int AwaitedContentLength => _hasHeader ? _header.ContentLength : 0;

    /// <summary>
    /// Decodes at most one frame from the start of <paramref name="buffer"/>. On return <paramref name="buffer"/>
    /// starts after the bytes the decoder consumed (the header is consumed even while its content is still
    /// awaited), so the caller hands the rest back on the next call, with more bytes appended.
    /// </summary>
    /// <returns><see cref="DecodeStatus.Frame"/> with <paramref name="frame"/> set, <see cref="DecodeStatus.NeedMoreData"/>,
    /// or <see cref="DecodeStatus.Error"/> with <paramref name="error"/> set.</returns>
    public DecodeStatus Decode(ref ReadOnlySequence<byte> buffer, out Frame frame, out ProtocolError error)
    {
        frame = default;
        error = default;
        if (!_hasHeader)
        {
            DecodeStatus headerStatus = DecodeHeader(ref buffer, out error);
            if (headerStatus != DecodeStatus.Frame)
            {
                return headerStatus;
            }
        }

        int contentLength = _header.ContentLength;
        if (buffer.Length < contentLength)
        {
            return DecodeStatus.NeedMoreData;
        }

        frame = new Frame(_header, buffer.Slice(0, contentLength));
        buffer = buffer.Slice(contentLength);
        _hasHeader = false;
        _header = default;
        return DecodeStatus.Frame;
    }

    /// <summary>Forgets a partly decoded frame, for reuse on a new stream.</summary>
    public void Reset()
    {
        _hasHeader = false;
        _header = default;
    }

    private DecodeStatus DecodeHeader(ref ReadOnlySequence<byte> buffer, out ProtocolError error)
    {
        error = default;
        long available = buffer.Length;
        if (available < PrefixLength)
        {
            return DecodeStatus.NeedMoreData;
        }

        Span<byte> start = stackalloc byte[PrefixLength + 1];
        int peeked = (int)Math.Min(available, start.Length);
        buffer.Slice(0, peeked).CopyTo(start);
        int headerLength = (start[0] << 8) | start[1];
        if (headerLength == 0)
        {
            error = new ProtocolError(ErrorCode.HeaderLengthInvalid, "The header length is 0.");
            return DecodeStatus.Error;
        }

        if (headerLength > _limits.MaxHeaderLength)
        {
            error = new ProtocolError(ErrorCode.HeaderTooLarge, $"The header length {headerLength} exceeds the limit of {_limits.MaxHeaderLength} bytes.");
            return DecodeStatus.Error;
        }

        if (peeked > PrefixLength && !CanStartJson(start[PrefixLength]))
        {
            error = new ProtocolError(ErrorCode.HeaderNotJson, $"The header does not start like JSON (byte 0x{start[PrefixLength]:x2}).");
            return DecodeStatus.Error;
        }

        if (available < PrefixLength + headerLength)
        {
            return DecodeStatus.NeedMoreData;
        }

        ReadOnlySequence<byte> headerBytes = buffer.Slice(PrefixLength, headerLength);
        if (!ParseHeader(headerBytes, out error))
        {
            return DecodeStatus.Error;
        }

        buffer = buffer.Slice(headerBytes.End);
        return DecodeStatus.Frame;
    }

    private bool ParseHeader(in ReadOnlySequence<byte> headerBytes, out ProtocolError error)
    {
        int maxContent = _limits.MaxContentLength;
        bool parsed;
        if (headerBytes.IsSingleSegment)
        {
            parsed = HeaderParser.TryParse(headerBytes.FirstSpan, maxContent, out _header, out error);
        }
        else if (headerBytes.Length <= StackallocThreshold)
        {
            Span<byte> joined = stackalloc byte[StackallocThreshold];
            headerBytes.CopyTo(joined);
            parsed = HeaderParser.TryParse(joined[..(int)headerBytes.Length], maxContent, out _header, out error);
        }
        else
        {
            byte[] rented = ArrayPool<byte>.Shared.Rent((int)headerBytes.Length);
            try
            {
                headerBytes.CopyTo(rented);
                parsed = HeaderParser.TryParse(rented.AsSpan(0, (int)headerBytes.Length), maxContent, out _header, out error);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        _hasHeader = parsed;
        return parsed;
    }

    // Any JSON text starts with whitespace or a value; anything else (a TLS record's version byte, the
    // second letter of an HTTP method) proves the peer does not speak this protocol.
    private static bool CanStartJson(byte b) => b is (byte)'{' or (byte)'[' or (byte)'"' or (byte)'-' or
        (byte)'t' or (byte)'f' or (byte)'n' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or
        (>= (byte)'0' and <= (byte)'9');
}
