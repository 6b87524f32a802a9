using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Framewire.Tests.Proxy;

/// <summary>Builds PROXY protocol headers byte by byte, as a load balancer would send them.</summary>
internal static class ProxyHeaders
{
    public static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static byte[] V1(string line) => Encoding.ASCII.GetBytes(line);

    /// <summary>A version 2 header: signature, the two type bytes, the length, then the given block.</summary>
    public static byte[] V2(byte versionCommand, byte familyTransport, byte[] block, int? declaredLength = null)
    {
        byte[] header = new byte[16 + block.Length];
        Signature.CopyTo(header, 0);
        header[12] = versionCommand;
        header[13] = familyTransport;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)(declaredLength ?? block.Length));
        block.CopyTo(header, 16);
        return header;
    }

    public static byte[] V2Inet(IPEndPoint source, IPEndPoint destination, byte[]? tlvs = null)
    {
        bool v6 = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        int size = v6 ? 16 : 4;
        tlvs ??= [];
        byte[] block = new byte[(2 * size) + 4 + tlvs.Length];
        source.Address.GetAddressBytes().CopyTo(block, 0);
        destination.Address.GetAddressBytes().CopyTo(block, size);
        BinaryPrimitives.WriteUInt16BigEndian(block.AsSpan(2 * size), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(block.AsSpan((2 * size) + 2), (ushort)destination.Port);
        tlvs.CopyTo(block, (2 * size) + 4);
        return V2(0x21, v6 ? (byte)0x21 : (byte)0x11, block);
    }

    public static byte[] V2Unix(string source, string destination)
    {
        byte[] block = new byte[216];
        Encoding.UTF8.GetBytes(source).CopyTo(block, 0);
        Encoding.UTF8.GetBytes(destination).CopyTo(block, 108);
        return V2(0x21, 0x31, block);
    }
}
