using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Framewire.Selectors;

namespace Framewire.Cli.Bench;

/// <summary>
/// The driver on Framewire's own <see cref="Selector"/>, as the tutorial builds its clients: <c>--threads</c> event loops
/// (<see cref="SelectorLoop"/>), each a thread of its own blocking in its own epoll instance and owning every N-th
/// connection, with non-blocking sockets and no hand-over between threads.
/// </summary>
/// <remarks>
/// Linux-only: the loops call recv(2) and send(2) straight through libc without the runtime's GC transition
/// (<c>LibC.Recv</c>, <c>LibC.Send</c>), which is where most of the difference to the async driver comes from.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class SelectorDriver : BenchDriver
{
    // The longest a wait for connects lasts before it looks at the cancellation token again.
    private static readonly TimeSpan CancellationPoll = TimeSpan.FromMilliseconds(100);

    private readonly BenchMode _mode;
    private readonly int _threads;

    public SelectorDriver(BenchMode mode, int threads, EndPoint endPoint, RunControl run)
        : base(endPoint, run)
    {
        _mode = mode;
        _threads = threads;
    }

    public override Task<string?> ConnectAsync(IReadOnlyList<BenchConnection> connections, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connections);
        return Task.Factory.StartNew(
            () => Connect(connections, cancellationToken),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    public override Task RunAsync(IReadOnlyList<BenchConnection> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        int loopCount = Math.Min(_threads, connections.Count);
        var shares = new List<BenchConnection>[loopCount];
        for (int i = 0; i < loopCount; i++)
        {
            shares[i] = new List<BenchConnection>((connections.Count / loopCount) + 1);
        }

        for (int i = 0; i < connections.Count; i++)
        {
            shares[i % loopCount].Add(connections[i]);
        }

        Run.Begin(Stopwatch.GetTimestamp());
        var loops = new Task[loopCount];
        for (int i = 0; i < loopCount; i++)
        {
            loops[i] = StartLoop(new SelectorLoop(shares[i], _mode == BenchMode.Oneshot, EndPoint, Run), i);
        }

        return Task.WhenAll(loops);
    }

    private static Task StartLoop(SelectorLoop loop, int index)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                loop.Run();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = $"framewire bench loop {index}",
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>Opens every connection at once with non-blocking connects and waits on one selector until all are up.</summary>
    private string? Connect(IReadOnlyList<BenchConnection> connections, CancellationToken cancellationToken)
    {
        using Selector selector = DefaultSelector.Create();
        int open = 0;
        int pending = 0;
        foreach (BenchConnection connection in connections)
        {
            Socket socket = Endpoints.CreateSocket(EndPoint);
            connection.Socket = socket;
            SocketError started = NonBlockingConnect.Start(socket, EndPoint);
            if (started == SocketError.Success)
            {
                open++;
            }
            else if (started == SocketError.InProgress)
            {
                selector.Register(socket, SelectorEvents.Write, connection);
                pending++;
            }
            else
            {
                return new SocketException((int)started).Message;
            }
        }

        TimeSpan timeout = TimeSpan.FromSeconds((double)Run.TimeoutTicks / Stopwatch.Frequency);
        long start = Stopwatch.GetTimestamp();
        while (pending > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan left = timeout - Stopwatch.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
            {
                return $"{open} of {connections.Count} connection(s) opened within the timeout";
            }

            foreach (SelectorEvent ready in selector.Select(left < CancellationPoll ? left : CancellationPoll))
            {
                Socket socket = ready.Key.Socket!;
                selector.Unregister(socket);
                pending--;
                SocketError connected = NonBlockingConnect.Finish(socket);
                if (connected != SocketError.Success)
                {
                    return new SocketException((int)connected).Message;
                }

                open++;
            }
        }

        return null;
    }
}
