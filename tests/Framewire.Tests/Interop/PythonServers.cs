using Framewire.Tests.Support;

namespace Framewire.Tests.Interop;

/// <summary>The Python app_server.py and multiconn_server.py from tests/interop, on IPv4 loopback.</summary>
public sealed class PythonServers : ServerProcesses
{
    internal ChildProcess App { get; private set; } = null!;

    public int AppPort { get; private set; }

    public int MulticonnPort { get; private set; }

    public override async Task InitializeAsync()
    {
        Task<(ChildProcess Server, int Port)> app = StartAsync(ChildProcess.StartPython("app_server.py", "127.0.0.1", "0"));
        Task<(ChildProcess, int Port)> multiconn = StartAsync(ChildProcess.StartPython("multiconn_server.py", "127.0.0.1", "0"));
        (App, AppPort) = await app;
        MulticonnPort = (await multiconn).Port;
    }
}
