using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Framewire.Selectors.Internal;

namespace Framewire.Tests.Selectors;

/// <summary>The raw calls an event loop makes, on real descriptors.</summary>
[SupportedOSPlatform("linux")]
public unsafe class LibCTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [LinuxFact]
    public void Send_ConnectedPair_PeerReceivesTheBytes()
    {
        using var loopback = new Loopback();
        (Socket client, Socket server) = loopback.Connect();
        byte[] message = "hello, world"u8.ToArray();
        byte[] received = new byte[64];

        nint sent;
        fixed (byte* p = message)
        {
            sent = LibC.Send(Fd(client), p, (nuint)message.Length);
        }

        Assert.Equal(message.Length, sent);
        Assert.True(server.Poll(Patience, SelectMode.SelectRead));
        nint count;
        fixed (byte* p = received)
        {
            count = LibC.Recv(Fd(server), p, (nuint)received.Length);
        }

        Assert.Equal(message, received.AsSpan(0, (int)count).ToArray());
    }

    [LinuxFact]
    public void Recv_BlockingSocketWithNothingQueued_FailsWithEagainAtOnce()
    {
        using var loopback = new Loopback();
        (_, Socket server) = loopback.Connect(blocking: true);
        Assert.False(IsNonBlocking(server), "the descriptor must really be blocking for this test to mean anything");
        byte[] buffer = new byte[16];

        nint count;
        fixed (byte* p = buffer)
        {
            count = LibC.Recv(Fd(server), p, (nuint)buffer.Length);
        }

        Assert.Equal(-1, count);
        Assert.Equal(LibC.EAGAIN, Marshal.GetLastPInvokeError());
    }

    [LinuxFact]
    public void Send_AfterShutdownOfSending_FailsWithEpipeAndNoSignal()
    {
        using var loopback = new Loopback();
        (Socket client, _) = loopback.Connect();
        client.Shutdown(SocketShutdown.Send);
        byte[] message = "late"u8.ToArray();

        nint sent;
        fixed (byte* p = message)
        {
            sent = LibC.Send(Fd(client), p, (nuint)message.Length);
        }

        Assert.Equal(-1, sent);
        Assert.Equal(LibC.EPIPE, Marshal.GetLastPInvokeError());
    }

    [LinuxFact]
    public void Recv_AfterPeerReset_FailsWithEconnreset()
    {
        using var loopback = new Loopback();
        (Socket client, Socket server) = loopback.Connect();
        client.LingerState = new LingerOption(true, 0);
        client.Dispose();
        Assert.True(server.Poll(Patience, SelectMode.SelectRead));
        byte[] buffer = new byte[16];

        nint count;
        fixed (byte* p = buffer)
        {
            count = LibC.Recv(Fd(server), p, (nuint)buffer.Length);
        }

        Assert.Equal(-1, count);
        Assert.Equal(LibC.ECONNRESET, Marshal.GetLastPInvokeError());
    }

    [LinuxFact]
    public void Eventfd_TwoWrites_OneReadReturnsTheSumThenEagain()
    {
        using SafeFdHandle eventfd = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        Assert.False(eventfd.IsInvalid);

        Assert.Equal(8, WriteCounter(eventfd.Fd, 2));
        Assert.Equal(8, WriteCounter(eventfd.Fd, 3));

        ulong value = 0;
        Assert.Equal(8, LibC.read(eventfd.Fd, (byte*)&value, sizeof(ulong)));
        Assert.Equal(5UL, value);
        Assert.Equal(-1, LibC.read(eventfd.Fd, (byte*)&value, sizeof(ulong)));
        Assert.Equal(LibC.EAGAIN, Marshal.GetLastPInvokeError());
    }

    internal static nint WriteCounter(int fd, ulong value) => LibC.write(fd, (byte*)&value, sizeof(ulong));

    private static int Fd(Socket socket) => (int)socket.Handle;

    // O_NONBLOCK as the kernel reports it in the descriptor's flags (octal), independent of what the runtime believes.
    private static bool IsNonBlocking(Socket socket)
    {
        string flags = File.ReadLines($"/proc/self/fdinfo/{Fd(socket)}").First(line => line.StartsWith("flags:", StringComparison.Ordinal));
        return (Convert.ToInt32(flags["flags:".Length..].Trim(), 8) & 0x800) != 0;
    }
}
