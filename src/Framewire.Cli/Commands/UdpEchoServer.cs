using System.Net;
using System.Net.Sockets;

namespace Framewire.Cli.Commands;

/// <summary>
/// <c>framewire echo-server --udp</c>: every datagram is sent back to where it came from. UDP has no connections, so
/// a client is a distinct sender address; <c>--once</c> exits after the first echo.
/// </summary>
internal static class UdpEchoServer
{
    // The largest UDP payload over IPv4 (65,535 minus the IP and UDP headers): no datagram is cut short.
    private const int MaxDatagram = 65_507;

    public static async Task<int> RunAsync(string host, int port, bool once, bool verbose, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (!TryResolve(host, port, stderr, out IPEndPoint? endPoint, out int failed))
        {
            return failed;
        }

        ServerHost.WarnIfExposed(endPoint, stderr);
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(endPoint);
        }
        catch (SocketException e)
        {
            return Failures.Failed(stderr, Failures.CannotListen(endPoint, e));
        }

        await stdout.WriteLineAsync($"Listening on {Endpoints.Format(socket.LocalEndPoint)}").ConfigureAwait(false);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);

        var clients = new HashSet<EndPoint>();
        long bytes = 0;
        byte[] buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram);
        EndPoint any = endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
                await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
            {
                // An ICMP error about an earlier datagram, or one too big for the buffer: that sender's problem, not the server's.
                continue;
            }

            clients.Add(received.RemoteEndPoint);
            bytes += received.ReceivedBytes;
            if (verbose)
            {
                await stdout.WriteLineAsync($"Echoed {received.ReceivedBytes} byte(s) to {Endpoints.Format(received.RemoteEndPoint)}").ConfigureAwait(false);
            }

            if (once)
            {
                break;
            }
        }

        await stdout.WriteLineAsync($"Served {clients.Count} client(s), {bytes} byte(s) echoed").ConfigureAwait(false);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return (int)ExitCode.Success;
    }

    /// <summary>
    /// Resolves a host for UDP, which has IP addresses and host names but no Unix socket paths here, or prints why not
    /// and gives the exit code in <paramref name="exitCode"/>.
    /// </summary>
    public static bool TryResolve(string host, int port, TextWriter stderr, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPEndPoint? endPoint, out int exitCode)
    {
        endPoint = null;
        if (!Failures.TryResolve(host, port, stderr, out EndPoint? resolved, out exitCode))
        {
            return false;
        }

        if (resolved is not IPEndPoint ip)
        {
            exitCode = Failures.Usage(stderr, $"--udp needs an IP address or a host name, not the Unix socket path '{host}'");
            return false;
        }

        endPoint = ip;
        return true;
    }
}
