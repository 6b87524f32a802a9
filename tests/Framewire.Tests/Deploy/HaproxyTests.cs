using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Framewire.Client;
using Framewire.Tests.Support;

namespace Framewire.Tests.Deploy;

/// <summary>
/// deploy/haproxy.cfg, run by a real haproxy in front of three app-server processes on loopback, under a load of
/// searches from retrying clients while one server is stopped gracefully and another is killed.
/// </summary>
public sealed partial class HaproxyTests : IAsyncLifetime
{
    private const int Clients = 6;
    private const int RequestsPerPhase = 150;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(55);

    private static readonly (string Key, string Answer)[] Searches =
    [
        ("morpheus", "Follow the white rabbit. \U0001f430"),
        ("ring", "In the caves beneath the Misty Mountains. \U0001f48d"),
        ("\U0001f436", "\U0001f43e Playing ball! \U0001f3d0"),
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("framewire-haproxy-").FullName;
    private readonly List<ChildProcess> _processes = [];

    [HaproxyFact]
    public async Task ThreeServersBehindHaproxy_OneStoppedOneKilled_EveryRequestAnsweredWithTheRealClientAddressLogged()
    {
        using var deadline = new CancellationTokenSource(Budget);
        CancellationToken timeUp = deadline.Token;

        ChildProcess[] servers = new ChildProcess[3];
        var ports = new int[3];
        for (int i = 0; i < servers.Length; i++)
        {
            servers[i] = Start(ChildProcess.StartFramewire("app-server", "127.0.0.1", "0", "--trusted-proxy", "127.0.0.1/32", "--verbose"));
        }

        for (int i = 0; i < servers.Length; i++)
        {
            ports[i] = await servers[i].WaitForListeningPortAsync();
        }

        int frontPort = FreePort();
        string statsSocket = Path.Combine(_directory, "admin.sock");
        string config = Path.Combine(_directory, "haproxy.cfg");
        await File.WriteAllTextAsync(config, Configure(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "haproxy.cfg")), frontPort, statsSocket, ports));
        ChildProcess haproxy = Start(ChildProcess.Start(HaproxyFactAttribute.Executable!, ["-db", "-f", config]));
        await WaitForStatusAsync(statsSocket, haproxy, ["UP", "UP", "UP"], timeUp);

        var load = new Load(frontPort);
        Task running = load.RunAsync(timeUp);

        await load.WaitForAsync(RequestsPerPhase, timeUp);
        await AssertServesClientsAsync(statsSocket, 0, timeUp);
        servers[0].Terminate();
        Assert.Equal(0, await servers[0].WaitForExitAsync(TimeSpan.FromSeconds(20)));
        await WaitForStatusAsync(statsSocket, haproxy, ["DOWN", "UP", "UP"], timeUp);

        await load.WaitForAsync(load.Completed + RequestsPerPhase, timeUp);
        await AssertServesClientsAsync(statsSocket, 1, timeUp);
        servers[1].KillAbruptly();
        await WaitForStatusAsync(statsSocket, haproxy, ["DOWN", "DOWN", "UP"], timeUp);

        await load.WaitForAsync(load.Completed + RequestsPerPhase, timeUp);
        load.Stop();
        await running;

        Assert.Empty(load.Failures);
        Assert.True(load.Completed >= 3 * RequestsPerPhase, $"Only {load.Completed} requests were answered.");
        string haproxyLog = haproxy.Stdout.Text + haproxy.Stderr;
        Assert.Contains("framewire_app/fw1 is DOWN", haproxyLog, StringComparison.Ordinal);
        Assert.Contains("framewire_app/fw2 is DOWN", haproxyLog, StringComparison.Ordinal);

        // Through the PROXY v2 header, each server logged the client's own address, not the one HAProxy connected from.
        var proxied = new List<(int ProxyPort, int ClientPort)>();
        foreach (ChildProcess server in servers)
        {
            foreach (Match match in ProxiedLine().Matches(server.Stderr))
            {
                proxied.Add((int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        HashSet<int> clientPorts = [.. proxied.Select(p => p.ClientPort)];
        foreach (int port in load.FirstLocalPorts)
        {
            Assert.Contains(port, clientPorts);
        }

        Assert.DoesNotContain(proxied, p => p.ProxyPort == p.ClientPort || p.ClientPort == frontPort);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // haproxy first, so that it does not count the servers' stops as failures worth logging.
        _processes.Reverse();
        foreach (ChildProcess process in _processes)
        {
            try
            {
                process.Terminate();
                await process.WaitForExitAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
            {
                // Already gone (killed by the test), or deaf to the signal: disposing kills it by its id.
            }

            await process.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>deploy/haproxy.cfg with this test's ports and a stats socket in its own folder; every change must apply.</summary>
    private static string Configure(string config, int frontPort, string statsSocket, int[] serverPorts)
    {
        config = ReplaceOnce(config, "stats socket /run/haproxy/admin.sock", "stats socket " + statsSocket);
        config = ReplaceOnce(config, "bind :65432", $"bind 127.0.0.1:{frontPort}");
        for (int i = 0; i < serverPorts.Length; i++)
        {
            config = ReplaceOnce(config, $"server fw{i + 1} 127.0.0.1:{9001 + i}", $"server fw{i + 1} 127.0.0.1:{serverPorts[i]}");
        }

        return config;
    }

    /// <summary>Makes sure that stopping the server drops live client connections, rather than none.</summary>
    private static async Task AssertServesClientsAsync(string statsSocket, int server, CancellationToken timeUp)
    {
        string sessions = (await ReadServerStatsAsync(statsSocket, "scur", timeUp))[server];
        Assert.True(int.Parse(sessions, System.Globalization.CultureInfo.InvariantCulture) > 0, $"fw{server + 1} has no client connections to drop.");
    }

    private static string ReplaceOnce(string text, string old, string replacement)
    {
        int at = text.IndexOf(old, StringComparison.Ordinal);
        Assert.True(at >= 0 && text.IndexOf(old, at + 1, StringComparison.Ordinal) < 0, $"deploy/haproxy.cfg should contain '{old}' once.");
        return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + old.Length));
    }

    /// <summary>Waits until the health checks have brought fw1..fw3 to the given states (UP, DOWN).</summary>
    private static async Task WaitForStatusAsync(string statsSocket, ChildProcess haproxy, string[] expected, CancellationToken timeUp)
    {
        string[] seen = [];
        while (true)
        {
            try
            {
                seen = await ReadServerStatsAsync(statsSocket, "status", timeUp);
                if (seen.SequenceEqual(expected))
                {
                    return;
                }
            }
            catch (SocketException)
            {
                // Not listening yet.
            }

            try
            {
                await Task.Delay(100, timeUp);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"HAProxy's servers are {string.Join(",", seen)}, not {string.Join(",", expected)}. HAProxy: {haproxy.Stdout.Text}{haproxy.Stderr}");
            }
        }
    }

    /// <summary>One column of HAProxy's statistics (status, scur: current sessions) for fw1..fw3.</summary>
    private static async Task<string[]> ReadServerStatsAsync(string statsSocket, string column, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(statsSocket), cancellationToken);
        await socket.SendAsync("show stat\n"u8.ToArray(), SocketFlags.None, cancellationToken);
        var csv = new StringBuilder();
        byte[] buffer = new byte[16384];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            csv.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        string[] lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int index = Array.IndexOf(lines[0].TrimStart('#', ' ').Split(','), column);
        return [.. lines.Skip(1)
            .Select(line => line.Split(','))
            .Where(fields => fields[0] == "framewire_app" && fields[1].StartsWith("fw", StringComparison.Ordinal))
            .OrderBy(fields => fields[1], StringComparer.Ordinal)
            .Select(fields => fields[index])];
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    [GeneratedRegex(@"from proxy 127\.0\.0\.1:(\d+) is for client 127\.0\.0\.1:(\d+)")]
    private static partial Regex ProxiedLine();

    private ChildProcess Start(ChildProcess process)
    {
        _processes.Add(process);
        return process;
    }

    /// <summary>Clients that search in a loop through HAProxy, checking every answer, until stopped.</summary>
    private sealed class Load(int port)
    {
        private readonly CancellationTokenSource _stop = new();
        private int _completed;

        public int Completed => Volatile.Read(ref _completed);

        public ConcurrentQueue<string> Failures { get; } = new();

        /// <summary>The local port of each client's first connection, as the servers should log it.</summary>
        public ConcurrentBag<int> FirstLocalPorts { get; } = [];

        public async Task RunAsync(CancellationToken timeUp)
        {
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Task.Run(() => ClientAsync(i, timeUp), CancellationToken.None)));
            _stop.Dispose();
        }

        public void Stop() => _stop.Cancel();

        public async Task WaitForAsync(int completed, CancellationToken timeUp)
        {
            try
            {
                while (Completed < completed && Failures.IsEmpty)
                {
                    await Task.Delay(20, timeUp);
                }
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Only {Completed} of {completed} answers within the time budget. {string.Join(Environment.NewLine, Failures)}");
            }

            Assert.True(Failures.IsEmpty, $"After {Completed} good answers: {string.Join(Environment.NewLine, Failures)}");
        }

        private async Task ClientAsync(int index, CancellationToken timeUp)
        {
            var options = new MessageClientOptions
            {
                RequestTimeout = TimeSpan.FromSeconds(20),
                Retry = new RetryPolicy { MaxRetries = 8, BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) },
            };
            try
            {
                await using MessageClient client = await MessageClient.ConnectAsync("127.0.0.1", port, options, timeUp);
                FirstLocalPorts.Add(((IPEndPoint)client.LocalEndPoint!).Port);
                for (int n = 0; !_stop.IsCancellationRequested; n++)
                {
                    (string key, string answer) = n % 4 == 3 ? ($"miss-{index}-{n}", $"No match for 'miss-{index}-{n}'.") : Searches[(index + n) % Searches.Length];
                    Response response = await client.SendAsync(Request.Json("search", key) with { Idempotent = true }, timeUp);
                    string? result = response.GetResultText();
                    if (result != answer)
                    {
                        Failures.Enqueue($"Client {index}, request {n}: '{result}' for '{key}', expected '{answer}'.");
                        return;
                    }

                    Interlocked.Increment(ref _completed);
                }
            }
            catch (Exception e)
            {
                Failures.Enqueue($"Client {index}: {e}");
            }
        }
    }
}
