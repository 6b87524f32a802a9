using Framewire.Cli.Commands;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary>Failures at run time: one line that names the address and the likely cause, and exit 1.</summary>
public class RuntimeErrorTests
{
    private const string UnresolvableHost = "no-such-host.invalid";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Clients_HostThatDoesNotResolve_ExitOneNamingTheHost()
    {
        var results = new List<(int Code, string Stderr)>
        {
            await RunAsync(stderr => EchoClientCommand.RunAsync(UnresolvableHost, 1, "x", Timeout, new StringWriter(), stderr, CancellationToken.None)),
            await RunAsync(stderr => AppClientCommand.RunAsync(UnresolvableHost, 1, "search", "x", Timeout, false, ClientTls.None, ChecksumAlgorithm.None, new StringWriter(), stderr, CancellationToken.None)),
            await RunAsync(stderr => MulticonnClientCommand.RunAsync(UnresolvableHost, 1, 1, ["x"], Timeout, false, new StringWriter(), stderr, CancellationToken.None)),
            await RunAsync(stderr => AppServerCommand.RunAsync(new AppServerCommand.Settings(UnresolvableHost, 0), new StringWriter(), stderr, CancellationToken.None)),
        };

        Assert.All(results, result =>
        {
            Assert.Equal(1, result.Code);
            string line = Assert.Single(Lines(result.Stderr));
            Assert.StartsWith($"Error: Cannot resolve host '{UnresolvableHost}': ", line, StringComparison.Ordinal);
            Assert.DoesNotContain("(Parameter", line, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Clients_NothingListens_ExitOneNamingTheAddress()
    {
        int port = Listeners.FreePort();
        string expected = $"Error: cannot connect to 127.0.0.1:{port}: connection refused (is the server running, on that port?)";

        Assert.Equal((1, expected), await RunAsync(stderr => EchoClientCommand.RunAsync("127.0.0.1", port, "x", Timeout, new StringWriter(), stderr, CancellationToken.None)));
        Assert.Equal((1, expected), await RunAsync(stderr => AppClientCommand.RunAsync("127.0.0.1", port, "search", "x", Timeout, false, ClientTls.None, ChecksumAlgorithm.None, new StringWriter(), stderr, CancellationToken.None)));
        Assert.Equal(
            (1, $"{expected}; was the server started with --admin 127.0.0.1:{port}?"),
            await RunAsync(stderr => StatusCommand.RunAsync($"127.0.0.1:{port}", false, null, 80, new StringWriter(), stderr, CancellationToken.None)));
    }

    [Fact]
    public async Task Clients_MissingUnixSocketFile_SayNoSuchSocketFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"framewire-missing-{Guid.NewGuid():N}.sock");
        string expected = $"Error: cannot connect to unix:{path}: no such socket file (is the server running?)";

        Assert.Equal((1, expected), await RunAsync(stderr => EchoClientCommand.RunAsync("unix:" + path, 0, "x", Timeout, new StringWriter(), stderr, CancellationToken.None)));
        Assert.Equal((1, expected), await RunAsync(stderr => AppClientCommand.RunAsync("unix:" + path, 0, "search", "x", Timeout, false, ClientTls.None, ChecksumAlgorithm.None, new StringWriter(), stderr, CancellationToken.None)));
    }

    [Fact]
    public async Task Servers_PortInUse_ExitOneNamingTheAddress()
    {
        using var taken = Listeners.Listen();
        int port = Listeners.PortOf(taken);
        string expected = $"Error: cannot listen on 127.0.0.1:{port}: the address is in use, by another server or one still closing (pick another port, or 0 for a free one)";

        Assert.Equal((1, expected), await RunAsync(stderr => AppServerCommand.RunAsync(new AppServerCommand.Settings("127.0.0.1", port), new StringWriter(), stderr, CancellationToken.None)));
        Assert.Equal((1, expected), await RunAsync(stderr => MulticonnServerCommand.RunAsync(new MulticonnServerCommand.Settings("127.0.0.1", port), new StringWriter(), stderr, CancellationToken.None)));
        Assert.Equal((1, expected), await RunAsync(stderr => EchoServerCommand.RunAsync("127.0.0.1", port, false, false, new StringWriter(), stderr, CancellationToken.None)));
    }

    [Fact]
    public async Task Servers_UnixSocketInAMissingFolder_NameTheFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"framewire-missing-{Guid.NewGuid():N}");
        string expected = $"Error: cannot listen on unix:{folder}/s.sock: cannot create the socket file: does the folder {folder} exist?";

        Assert.Equal((1, expected), await RunAsync(stderr => AppServerCommand.RunAsync(new AppServerCommand.Settings($"unix:{folder}/s.sock", 0), new StringWriter(), stderr, CancellationToken.None)));
        Assert.Equal((1, expected), await RunAsync(stderr => EchoServerCommand.RunAsync($"unix:{folder}/s.sock", 0, false, false, new StringWriter(), stderr, CancellationToken.None)));
    }

    [Fact]
    public async Task AppClient_ServerAcceptsButNeverAnswers_TimesOutNamingTheAddress()
    {
        using var listener = Listeners.Listen();
        int port = Listeners.PortOf(listener);

        Assert.Equal(
            (1, $"Error: no answer from 127.0.0.1:{port} within 0.5 s"),
            await RunAsync(stderr => AppClientCommand.RunAsync("127.0.0.1", port, "search", "x", TimeSpan.FromSeconds(0.5), false, ClientTls.None, ChecksumAlgorithm.None, new StringWriter(), stderr, CancellationToken.None)));
        Assert.Equal(
            (1, $"Error: no complete echo from 127.0.0.1:{port} within 0.5 s"),
            await RunAsync(stderr => EchoClientCommand.RunAsync("127.0.0.1", port, "x", TimeSpan.FromSeconds(0.5), new StringWriter(), stderr, CancellationToken.None)));
    }

    private static async Task<(int Code, string Stderr)> RunAsync(Func<TextWriter, Task<int>> run)
    {
        var stderr = new StringWriter();
        int code = await run(stderr);
        return (code, stderr.ToString().Trim());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
