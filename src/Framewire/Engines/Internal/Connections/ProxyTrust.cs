using System.Net;

namespace Framewire.Engines.Internal.Connections;

/// <summary>Decides whether a peer is one of <see cref="MessageServerOptions.TrustedProxies"/>, for every engine.</summary>
internal static class ProxyTrust
{
    public static bool IsTrusted(IList<IPNetwork> networks, EndPoint? peer)
    {
        if (networks.Count == 0 || peer is not IPEndPoint { Address: IPAddress address })
        {
            return false;
        }

        // A dual-mode listener reports IPv4 peers as ::ffff:a.b.c.d, which no IPv4 network contains.
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        for (int i = 0; i < networks.Count; i++)
        {
            if (networks[i].Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
