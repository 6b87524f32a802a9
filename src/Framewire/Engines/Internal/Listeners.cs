using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal;

/// <summary>Creates listening sockets the same way for every engine.</summary>
internal static class Listeners
{
    private const string SomaxconnPath = "/proc/sys/net/core/somaxconn";

    /// <summary>
    /// The backlog to listen with: <paramref name="requested"/>, or the system's <c>net.core.somaxconn</c> when that is
    /// lower, said once in the log, since the kernel would cut it without a word and an accept storm would then meet a
    /// queue smaller than configured.
    /// </summary>
    public static int Backlog(int requested, ILogger logger)
    {
        int backlog = Clamp(requested, ReadSomaxconn(), out bool clamped);
        if (clamped)
        {
            ServerLog.BacklogClamped(logger, requested, backlog);
        }

        return backlog;
    }

    /// <summary><paramref name="requested"/> capped by <paramref name="systemLimit"/> (unknown: null, not capped).</summary>
    public static int Clamp(int requested, int? systemLimit, out bool clamped)
    {
        clamped = systemLimit is int limit && limit >= 1 && limit < requested;
        return clamped ? systemLimit!.Value : requested;
    }

    /// <summary>Binds and listens; a Unix socket file left by a server that is gone is replaced.</summary>
    /// <param name="endPoint">Where to listen.</param>
    /// <param name="backlog">The kernel's queue of connections not yet accepted.</param>
    /// <param name="reusePort">Set SO_REUSEPORT, so that more listeners can share the port.</param>
    /// <param name="joinOwnPort">The port is already held by this server's own SO_REUSEPORT listeners, and this one joins them.</param>
    public static Socket Listen(EndPoint endPoint, int backlog, bool reusePort = false, bool joinOwnPort = false)
    {
        Socket listener = Endpoints.CreateSocket(endPoint);
        try
        {
            if (endPoint is UnixDomainSocketEndPoint unix)
            {
                RemoveStaleSocketFile(unix);
            }
            else if (endPoint is IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip && ip.Address.Equals(IPAddress.IPv6Any))
            {
                // "::" means every interface, IPv4 included, as it does for most servers.
                listener.DualMode = true;
            }

            if (reusePort)
            {
                if (!joinOwnPort)
                {
                    EnsureNotInUse(endPoint);
                }

                // SO_REUSEPORT: several listeners on one port, and the kernel spreads new connections among them.
                const int SolSocket = 1;
                const int SoReusePort = 15;
                listener.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            }

            listener.Bind(endPoint);
            listener.Listen(backlog);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    public static void RemoveSocketFile(UnixDomainSocketEndPoint endPoint)
    {
        string path = endPoint.ToString();
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>The system's cap on listen backlogs; null where there is none to read (not Linux, a restricted /proc).</summary>
    private static int? ReadSomaxconn()
    {
        try
        {
            return int.TryParse(File.ReadAllText(SomaxconnPath).AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int limit) ? limit : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Deletes a socket file left behind by a server that is gone, and refuses to take over one that a running server
    /// still answers on.
    /// </summary>
    private static void RemoveStaleSocketFile(UnixDomainSocketEndPoint endPoint)
    {
        if (!File.Exists(endPoint.ToString()))
        {
            return;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(endPoint);
        }
        catch (SocketException)
        {
            RemoveSocketFile(endPoint);
            return;
        }

        throw new SocketException((int)SocketError.AddressAlreadyInUse);
    }

    /// <summary>
    /// SO_REUSEPORT lets any socket of the same user that also sets it share the port, so a second server started by
    /// mistake would silently take half the connections. A plain bind first fails as any server's would when the port
    /// is taken; it is released at once, as a bound socket that never listened leaves nothing behind.
    /// </summary>
    private static void EnsureNotInUse(EndPoint endPoint)
    {
        if (endPoint is not IPEndPoint { Port: not 0 })
        {
            return;
        }

        using Socket probe = Endpoints.CreateSocket(endPoint);
        probe.Bind(endPoint);
    }
}
