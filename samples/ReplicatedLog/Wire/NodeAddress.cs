using System.Globalization;
using System.Net;
using Framewire;

namespace ReplicatedLog.Wire;

/// <summary><c>HOST:PORT</c>, the way nodes are named on the command line and to one another (<c>[::1]:7001</c> for IPv6).</summary>
internal static class NodeAddress
{
    public static bool TryParse(string text, out string host, out int port)
    {
        ArgumentNullException.ThrowIfNull(text);
        host = string.Empty;
        port = 0;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return host.Length > 0;
    }

    /// <exception cref="FormatException"><paramref name="text"/> is not <c>HOST:PORT</c>.</exception>
    public static EndPoint Parse(string text) => TryParse(text, out string host, out int port)
        ? Endpoints.Parse(host, port)
        : throw new FormatException($"'{text}' is not HOST:PORT.");
}
