using System.Net;
using System.Net.Sockets;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;

namespace Framewire.Engines.Internal.Uring;

/// <summary>
/// The io_uring engine: loops as the selector engine has, each a thread with its own ring and provided buffers, and
/// a multishot accept in its ring on each listener. Plain TCP only: TLS is refused when the server is made
/// (<see cref="MessageServer"/>).
/// </summary>
internal sealed class UringEngine(MessageServerOptions options, ConnectionServices services) : LoopEngine<UringLoop, UringListener>(options, services)
{
    /// <summary>Called on <paramref name="loop"/>'s thread with a freshly accepted, blocking descriptor.</summary>
    public void OnAccepted(UringLoop loop, int fd, EndPoint? remote, EndPoint local)
    {
        if (Admit(fd, remote, local) is not ConnectionInfo info)
        {
            return;
        }

        var connection = new UringConnection(fd, info, loop, Services);
        connection.Start();
        if (IsStopping)
        {
            connection.BeginShutdown();
        }
    }

    protected override UringLoop CreateLoop(int id) => new(id, Services.Log);

    protected override UringListener CreateListener(Socket socket, UringLoop loop) => new(socket, loop, this);

    protected override Exception? DescribeStartFailure(Exception failure) =>
        failure is UringUnavailableException ? new InvalidOperationException("The uring engine could not start: " + failure.Message + ".", failure) : null;
}
