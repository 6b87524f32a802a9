using System.Buffers;
using System.Net.Sockets;
using Framewire.Proxy;

namespace Framewire.Engines.Internal.Async;

/// <summary>What <see cref="ProxyHeaderReader.ReadAsync"/> got: a header and the bytes after it, or why there is none.</summary>
internal readonly record struct ProxyHeaderRead(ProxyHeader Header, byte[] FollowingBytes, string? Error);

/// <summary>Reads a PROXY protocol header from the start of a socket, for engines that await their sockets.</summary>
internal static class ProxyHeaderReader
{
    // Holds a v1 line or a v2 header with its addresses and typical TLVs in one receive; a larger v2 header grows it.
    private const int InitialBufferSize = 1024;

    /// <summary>
    /// Receives until the header is complete or invalid. Receives are not limited to the header, since the proxy
    /// sends the client's first bytes right behind it; whatever came after the header is returned to go first.
    /// </summary>
    public static async Task<ProxyHeaderRead> ReadAsync(Socket socket, bool waitForData, CancellationToken cancellationToken)
    {
        if (waitForData)
        {
            // As the receive loop does: no buffer for a connection that has sent nothing yet.
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        int filled = 0;
        try
        {
            // Each pass receives at least one byte or returns, and the parser decides by MaxLength bytes at the latest.
            while (true)
            {
                ProxyParseStatus status = ProxyHeaderParser.Parse(new ReadOnlySequence<byte>(buffer, 0, filled), out ProxyHeader header, out string? error);
                if (status == ProxyParseStatus.Parsed)
                {
                    return new ProxyHeaderRead(header, buffer[header.Length..filled], null);
                }

                if (status == ProxyParseStatus.Invalid)
                {
                    return new ProxyHeaderRead(default, [], error);
                }

                if (filled >= ProxyHeaderParser.MaxLength)
                {
                    return new ProxyHeaderRead(default, [], "The PROXY header is longer than the protocol allows.");
                }

                if (filled == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, ProxyHeaderParser.MaxLength));
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int received = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (received == 0)
                {
                    return new ProxyHeaderRead(default, [], filled == 0
                        ? "The connection closed before its PROXY header."
                        : "The connection closed in the middle of its PROXY header.");
                }

                filled += received;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
