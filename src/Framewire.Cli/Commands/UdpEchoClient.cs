using System.Net;
using System.Net.Sockets;

namespace Framewire.Cli.Commands;

/// <summary><c>framewire echo-client --udp</c>: sends the message as one datagram and prints the datagram that comes back.</summary>
internal static class UdpEchoClient
{
    // An echo cannot be longer than the largest datagram we may send.
    private const int MaxDatagram = 65_507;

    public static async Task<int> RunAsync(string host, int port, byte[] message, TimeSpan timeout, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (!UdpEchoServer.TryParse(host, port, out IPEndPoint? endPoint, out string? error))
        {
            await stderr.WriteLineAsync($"Error: {error}").ConfigureAwait(false);
            return (int)ExitCode.Usage;
        }

        if (message.Length > MaxDatagram)
        {
            await stderr.WriteLineAsync($"Error: a datagram carries at most {MaxDatagram} bytes, not {message.Length}").ConfigureAwait(false);
            return (int)ExitCode.Usage;
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
        if (!received.AsSpan(0, length).SequenceEqual(message))
        {
            await stderr.WriteLineAsync($"Error: the echo differs from the {message.Length} byte(s) sent").ConfigureAwait(false);
            return (int)ExitCode.Failure;
        }

        return (int)ExitCode.Success;
    }
}
