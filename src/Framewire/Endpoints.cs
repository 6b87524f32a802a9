using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Framewire;

/// <summary>Turns the command line's host and port into socket endpoints and back.</summary>
public static class Endpoints
{
    /// <summary>The prefix that marks a Unix domain socket path in place of a host.</summary>
    public const string UnixPrefix = "unix:";

    /// <summary>The tutorial's address: the IPv4 loopback.</summary>
    public const string DefaultHost = "127.0.0.1";

    /// <summary>The tutorial's port.</summary>
    public const int DefaultPort = 65432;

    /// <summary>
    /// Resolves <paramref name="host"/> and <paramref name="port"/>: an IPv4 or IPv6 literal, <c>localhost</c>
    /// (the IPv4 loopback, as Python resolves it), a host name (its first IPv4 address, else its first address),
    /// or <c>unix:/path/to.sock</c> (the port is then ignored).
    /// </summary>
    /// <exception cref="ArgumentException">The host cannot be resolved or the port is out of range.</exception>
    public static EndPoint Parse(string host, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (host.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            string path = host[UnixPrefix.Length..];
            if (path.Length == 0)
            {
                throw new ArgumentException("A Unix domain socket needs a path: unix:/path/to.sock", nameof(host));
            }

            return new UnixDomainSocketEndPoint(path);
        }

        if (port is < 0 or > IPEndPoint.MaxPort)
        {
            throw new ArgumentException($"The port {port} is not between 0 and {IPEndPoint.MaxPort}.", nameof(port));
        }

        string literal = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        if (IPAddress.TryParse(literal, out IPAddress? address))
        {
            return new IPEndPoint(address, port);
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new ArgumentException($"Cannot resolve host '{host}': {e.Message}", nameof(host), e);
        }

        foreach (IPAddress candidate in addresses)
        {
            if (candidate.AddressFamily == AddressFamily.InterNetwork)
            {
                return new IPEndPoint(candidate, port);
            }
        }

        return addresses.Length > 0
            ? new IPEndPoint(addresses[0], port)
            : throw new ArgumentException($"Host '{host}' has no addresses.", nameof(host));
    }

    /// <summary>Formats an endpoint as people read it: <c>127.0.0.1:65432</c>, <c>[::1]:65432</c>, <c>unix:/path</c>.</summary>
    public static string Format(EndPoint? endPoint) => endPoint switch
    {
        null => "(unknown)",
        IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip when ip.Address.IsIPv4MappedToIPv6 =>
            string.Create(CultureInfo.InvariantCulture, $"{ip.Address.MapToIPv4()}:{ip.Port}"),
        IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip => string.Create(CultureInfo.InvariantCulture, $"[{ip.Address}]:{ip.Port}"),
        IPEndPoint ip => string.Create(CultureInfo.InvariantCulture, $"{ip.Address}:{ip.Port}"),
        UnixDomainSocketEndPoint unix => UnixPrefix + unix.ToString(),
        _ => endPoint.ToString() ?? "(unknown)",
    };

    /// <summary>A new stream socket for <paramref name="endPoint"/>'s address family, with Nagle off for TCP.</summary>
    public static Socket CreateSocket(EndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (endPoint is UnixDomainSocketEndPoint)
        {
            return new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }

        // Request/response traffic of small frames: without NoDelay, Nagle's algorithm and delayed ACKs add up to 40 ms.
        return new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    }

    /// <summary>True for addresses that are reachable from other machines (not loopback, not a Unix socket).</summary>
    public static bool IsExposed(EndPoint endPoint) =>
        endPoint is IPEndPoint ip && !IPAddress.IsLoopback(ip.Address);
}
