using System.Net;
using System.Net.Sockets;
using Framewire.Cli.Clients;

namespace Framewire.Cli.Commands;

/// <summary><c>framewire echo-client --udp</c>: sends the message as one datagram and prints the datagram that comes back.</summary>
internal static class UdpEchoClient
{
    // An echo cannot be longer than the largest datagram we may send.
    private const int MaxDatagram = 65_507;

    public static async Task<int> RunAsync(string host, int port, byte[] message, TimeSpan timeout, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (!UdpEchoServer.TryResolve(host, port, stderr, out IPEndPoint? endPoint, out int failed))
        {
            return failed;
        }

        if (message.Length > MaxDatagram)
        {
            return Failures.Usage(stderr, $"--message must be at most {MaxDatagram} bytes with --udp, the most a datagram carries, not {message.Length}");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        byte[] received = GC.AllocateUninitializedArray<byte>(MaxDatagram);
        int length;
        try
        {
            // A connected UDP socket takes datagrams from the server only, and reports the ICMP "port unreachable"
            // of a server that is not there as ConnectionRefused instead of waiting out the timeout.
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            await socket.SendAsync(message, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            length = await socket.ReceiveAsync(received, SocketFlags.None, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"Error: no echo from {Endpoints.Format(endPoint)} within {timeout.TotalSeconds:0.###} s (UDP: the datagram or its echo may be lost)").ConfigureAwait(false);
            return (int)ExitCode.Failure;
        }
        catch (SocketException e)
        {
            await stderr.WriteLineAsync($"Error: {Endpoints.Format(endPoint)}: {e.Message}").ConfigureAwait(false);
            return (int)ExitCode.Failure;
        }

        await stdout.WriteLineAsync($"Received {PythonRepr.Bytes(received.AsSpan(0, length))}").ConfigureAwait(false);
        return received.AsSpan(0, length).SequenceEqual(message) ? (int)ExitCode.Success : Failures.Failed(stderr, Echoes.NotAnEcho);
    }
}
