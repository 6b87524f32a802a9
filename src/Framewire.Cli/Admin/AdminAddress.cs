using System.Globalization;
using System.Net;

namespace Framewire.Cli.Admin;

/// <summary>
/// <c>--admin ADDR</c>: <c>127.0.0.1:PORT</c>, <c>[::1]:PORT</c>, <c>localhost:PORT</c> or <c>unix:/path</c>. The
/// admin endpoint shows every client's address and has no authentication, so it listens on this machine only.
/// </summary>
internal static class AdminAddress
{
    /// <exception cref="ArgumentException">Not an address, or one other machines could reach.</exception>
    public static EndPoint Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        if (text.StartsWith(Endpoints.UnixPrefix, StringComparison.Ordinal))
        {
            return Endpoints.Parse(text, 0);
        }

        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
        {
            throw new ArgumentException($"--admin '{text}' is not HOST:PORT or unix:/path (examples: 127.0.0.1:9100, unix:/run/framewire-admin.sock).");
        }

        string host = text[..colon];
        string literal = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        IPAddress? address = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(literal, out IPAddress? parsed) ? parsed
            : null;
        if (address is null || !IPAddress.IsLoopback(address))
        {
            throw new ArgumentException(
                $"--admin '{text}' is not a loopback address: the admin endpoint lists every client and has no authentication, "
                + "so it listens on 127.0.0.1, [::1] or a unix:/path socket only.");
        }

        return new IPEndPoint(address, port);
    }
}
