using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;

namespace Framewire.Engines.Internal.Selector;

/// <summary>
/// The selector engine: event loops, each a thread with its own epoll selector, watching non-blocking sockets; TLS on
/// the same loops, through OpenSSL when the machine has it.
/// </summary>
internal sealed class SelectorEngine : LoopEngine<EventLoop, LoopListener>
{
    private OpenSslContext? _tls;

    public SelectorEngine(MessageServerOptions options, ConnectionServices services)
        : base(options, services)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The selector engine needs Linux (epoll); use the async engine on " + RuntimeInformation.OSDescription + ".");
        }
    }

    public override EndPoint Start()
    {
        _tls = Options.Tls is null ? null : OpenSslContext.TryCreate(Options.Tls, Services.Log);
        try
        {
            return base.Start();
        }
        catch
        {
            _tls?.Dispose();
            throw;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        _tls?.Dispose();
    }

    /// <summary>Called on <paramref name="loop"/>'s thread with a freshly accepted, non-blocking descriptor.</summary>
    public void OnAccepted(EventLoop loop, int fd, EndPoint? remote, EndPoint local)
    {
        if (Admit(fd, remote, local) is not ConnectionInfo info)
        {
            return;
        }

        var connection = new SelectorConnection(fd, info, loop, Services);
        connection.Start();
        if (IsStopping)
        {
            connection.BeginShutdown();
        }
    }

    protected override EventLoop CreateLoop(int id) => new(id, Services.Log) { Tls = _tls };

    protected override LoopListener CreateListener(Socket socket, EventLoop loop)
    {
        socket.Blocking = false;
        return new LoopListener(socket, loop, this);
    }
}
