using Framewire.Tests.Support;

namespace Framewire.Tests.Interop;

/// <summary>Our app-server and multiconn-server, the built framewire command, on IPv4 loopback.</summary>
public sealed class FramewireServers : ServerProcesses
{
    public int AppPort { get; private set; }

    public int MulticonnPort { get; private set; }

    public override async Task InitializeAsync()
    {
        Task<(ChildProcess, int Port)> app = StartAsync(ChildProcess.StartFramewire("app-server", "127.0.0.1", "0"));
        Task<(ChildProcess, int Port)> multiconn = StartAsync(ChildProcess.StartFramewire("multiconn-server", "127.0.0.1", "0"));
        AppPort = (await app).Port;
        MulticonnPort = (await multiconn).Port;
    }
}
