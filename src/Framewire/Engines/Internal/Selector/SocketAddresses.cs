using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Framewire.Engines.Internal.Selector;

/// <summary>Reads the <c>sockaddr</c> that accept returns into an <see cref="EndPoint"/>.</summary>
internal static class SocketAddresses
{
    /// <summary>Large enough for any address family (the size of <c>sockaddr_storage</c>).</summary>
    public const int MaxLength = 128;

    private const ushort AfUnix = 1;
    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    public static EndPoint? Parse(ReadOnlySpan<byte> address)
    {
        if (address.Length < 2)
        {
            return null;
        }

        // sa_family is in host order; the port and the address are in network order.
        ushort family = BitConverter.ToUInt16(address);
        switch (family)
        {
            case AfInet when address.Length >= 8:
                return new IPEndPoint(new IPAddress(address.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
            case AfInet6 when address.Length >= 28:
                long scope = BitConverter.ToUInt32(address[24..]);
                return new IPEndPoint(new IPAddress(address.Slice(8, 16), scope), BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
            case AfUnix:
                ReadOnlySpan<byte> path = address[2..];
                int end = path.IndexOf((byte)0);
                path = end >= 0 ? path[..end] : path;

                // A client socket that was never bound has no name at all.
                return path.IsEmpty ? null : new UnixDomainSocketEndPoint(Encoding.UTF8.GetString(path));
            default:
                return null;
        }
    }
}
