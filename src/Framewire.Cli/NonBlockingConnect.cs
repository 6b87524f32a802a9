using System.Net;
using System.Net.Sockets;

namespace Framewire.Cli;

/// <summary>
/// Python's <c>sock.setblocking(False); sock.connect_ex(addr)</c> for the selector loops: a connect that returns at
/// once and finishes later, when the selector reports the socket writable.
/// </summary>
internal static class NonBlockingConnect
{
    /// <summary>
    /// Makes <paramref name="socket"/> non-blocking and starts connecting it: <see cref="SocketError.Success"/> when it is
    /// connected already, <see cref="SocketError.InProgress"/> when the caller must wait until it is writable and then
    /// call <see cref="Finish"/>, any other value when it failed at once.
    /// </summary>
    public static SocketError Start(Socket socket, EndPoint endPoint)
    {
        if (endPoint is UnixDomainSocketEndPoint)
        {
            // A Unix socket has no handshake to wait for: its connect completes at once, or fails with EAGAIN when the
            // listener's backlog is full, which on a non-blocking socket means "try again", not "in progress". A
            // blocking connect waits for room instead, then the socket turns non-blocking.
            try
            {
                socket.Connect(endPoint);
            }
            catch (SocketException e)
            {
                return e.SocketErrorCode;
            }

            socket.Blocking = false;
            return SocketError.Success;
        }

        socket.Blocking = false;
        try
        {
            socket.Connect(endPoint);
            return SocketError.Success;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            // EINPROGRESS, which .NET reports as WouldBlock: the handshake goes on without us.
            return SocketError.InProgress;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }

    /// <summary>
    /// How a connect that was in progress ended, once the socket has been reported writable (or readable: a failed
    /// connect is both): <see cref="SocketError.Success"/>, or why it failed (SO_ERROR, which reading clears).
    /// </summary>
    public static SocketError Finish(Socket socket) =>
        (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
}
