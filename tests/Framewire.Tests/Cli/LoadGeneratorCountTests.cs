using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Framewire.Tests.Support;

namespace Framewire.Tests.Cli;

/// <summary>
/// The C load generator behind docs/benchmarks.md (bench/loadgen-c), built with gcc and run against an echo
/// server that counts every byte it receives and sends: the figures the generator reports must be backed by
/// bytes that really crossed the socket.
/// </summary>
[Collection(LoadTests.Name)]
public class LoadGeneratorCountTests
{
    private const int Connections = 4;
    private const int Depth = 8;
    private const int Size = 100;

    [GccFact]
    public async Task Echo_CountingServer_AgreesWithTheGeneratorsCounts()
    {
        string loadgen = await BuildLoadgenAsync();
        try
        {
            await RunAndCompareAsync(loadgen);
        }
        finally
        {
            File.Delete(loadgen);
        }
    }

    private static async Task RunAndCompareAsync(string loadgen)
    {
        await using var server = CountingEchoServer.Start();

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.Start(loadgen,
            [
                "--port", server.Port.ToString(CultureInfo.InvariantCulture),
                "--connections", Connections.ToString(CultureInfo.InvariantCulture),
                "--depth", Depth.ToString(CultureInfo.InvariantCulture),
                "--size", Size.ToString(CultureInfo.InvariantCulture),
                "--warmup", "0", "--duration", "1",
            ]),
            TimeSpan.FromSeconds(60));
        Assert.True(code == 0, stdout + stderr);
        Dictionary<string, string> report = Parse(stdout);
        await server.WaitUntilAllClosedAsync(TimeSpan.FromSeconds(10));

        long measured = long.Parse(report["messages"], CultureInfo.InvariantCulture);
        long total = long.Parse(report["total_messages"], CultureInfo.InvariantCulture);
        long bytesSent = long.Parse(report["bytes_sent"], CultureInfo.InvariantCulture);
        Assert.Equal("0", report["errors"]);
        Assert.Equal(Connections, server.Accepted);
        Assert.InRange(measured, 1, total);

        // Every byte the generator says it wrote arrived, and nothing else did.
        Assert.Equal(bytesSent, server.Received);

        // Every answer it counted was echoed in full; what the server sent beyond them was at most the answers
        // still in flight when the generator stopped reading (depth per connection).
        Assert.InRange(server.Sent, total * Size, (total + (Connections * Depth)) * Size);
    }

    private static Dictionary<string, string> Parse(string stdout)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in stdout.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            pairs[pair[..eq]] = pair[(eq + 1)..];
        }

        return pairs;
    }

    private static async Task<string> BuildLoadgenAsync()
    {
        string output = Path.Combine(Path.GetTempPath(), $"framewire-loadgen-{Environment.ProcessId}");
        string source = Path.Combine(RepoPaths.Root, "bench", "loadgen-c", "loadgen.c");
        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(
            ChildProcess.Start("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-o", output, source]),
            TimeSpan.FromSeconds(60));
        Assert.True(code == 0, stdout + stderr);
        return output;
    }

    /// <summary>Echoes every byte on loopback and counts what it received and sent.</summary>
    private sealed class CountingEchoServer : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _connections = [];
        private readonly Task _accepting;
        private long _received;
        private long _sent;
        private int _accepted;

        private CountingEchoServer(Socket listener)
        {
            _listener = listener;
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public long Received => Interlocked.Read(ref _received);

        public long Sent => Interlocked.Read(ref _sent);

        public int Accepted => Volatile.Read(ref _accepted);

        public static CountingEchoServer Start()
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            return new CountingEchoServer(listener);
        }

        public async Task WaitUntilAllClosedAsync(TimeSpan timeout)
        {
            Task[] connections;
            lock (_connections)
            {
                connections = [.. _connections];
            }

            await Task.WhenAll(connections).WaitAsync(timeout);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            await _accepting;
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    Socket client = await _listener.AcceptAsync(_stop.Token);
                    client.NoDelay = true;
                    Interlocked.Increment(ref _accepted);
                    lock (_connections)
                    {
                        _connections.Add(EchoAsync(client));
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }

            Task[] connections;
            lock (_connections)
            {
                connections = [.. _connections];
            }

            await Task.WhenAll(connections);
        }

        private async Task EchoAsync(Socket client)
        {
            using (client)
            {
                byte[] buffer = new byte[64 * 1024];
                try
                {
                    while (true)
                    {
                        int n = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                        if (n == 0)
                        {
                            return;
                        }

                        Interlocked.Add(ref _received, n);
                        int sent = 0;
                        while (sent < n)
                        {
                            sent += await client.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, _stop.Token);
                        }

                        Interlocked.Add(ref _sent, n);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    // The generator reset the connection on exit, or the test is over.
                }
            }
        }
    }
}
