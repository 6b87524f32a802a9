using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Framewire.Engines.Internal.Selector;
using Framewire.Selectors;

namespace Framewire.Cli.Bench;

/// <summary>
/// The driver on Framewire's own <see cref="Selector"/>, as the tutorial builds its clients: <c>--threads</c> event loops
/// (<see cref="SelectorLoop"/>), each a thread of its own blocking in its own epoll instance and owning every N-th
/// connection, with non-blocking sockets and no hand-over between threads. With TLS each connection's SslStream runs
/// on the loop that owns it (<see cref="SelectorTls"/>); the handshakes of kept-open runs are made while connecting,
/// before the clock starts, and a oneshot request's is part of its latency, as on the async driver.
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
    private readonly SelectorTls? _tls;

    // The loops' view of the connections, made by the connect phase (which leaves their TLS sessions on them) or,
    // in a oneshot run, by RunAsync.
    private SelectorConnection[]? _connections;

    /// <param name="tls">TLS on every connection, or null for plain TCP.</param>
    public SelectorDriver(BenchMode mode, int threads, EndPoint endPoint, RunControl run, SelectorTls? tls)
        : base(endPoint, run)
    {
        _mode = mode;
        _threads = threads;
        _tls = tls;
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
        SelectorConnection[] all = _connections ??= Wrap(connections);
        int loopCount = Math.Min(_threads, all.Length);
        var shares = new SelectorConnection[loopCount][];
        for (int i = 0; i < loopCount; i++)
        {
            shares[i] = new SelectorConnection[(all.Length / loopCount) + (i < all.Length % loopCount ? 1 : 0)];
        }

        for (int i = 0; i < all.Length; i++)
        {
            shares[i % loopCount][i / loopCount] = all[i];
        }

        Run.Begin(Stopwatch.GetTimestamp());
        var loops = new Task[loopCount];
        for (int i = 0; i < loopCount; i++)
        {
            loops[i] = StartLoop(new SelectorLoop(shares[i], _mode == BenchMode.Oneshot, EndPoint, Run, _tls), i);
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

    private static SelectorConnection[] Wrap(IReadOnlyList<BenchConnection> connections)
    {
        var wrapped = new SelectorConnection[connections.Count];
        for (int i = 0; i < wrapped.Length; i++)
        {
            wrapped[i] = new SelectorConnection(connections[i]);
        }

        return wrapped;
    }

    private static void Opened(Selector selector, SelectorConnection connection, ref int waiting, ref int open)
    {
        selector.Unregister(connection.Registered!);
        connection.OnUnregistered();
        connection.State = SelectorConnectionState.Open;
        waiting--;
        open++;
    }

    /// <summary>Opens the connections; with TLS, a session that did not make it ends here, as no loop will take it.</summary>
    private string? Connect(IReadOnlyList<BenchConnection> connections, CancellationToken cancellationToken)
    {
        SelectorConnection[] all = _connections = Wrap(connections);
        bool opened = false;
        try
        {
            string? failure = Open(all, cancellationToken);
            opened = failure is null;
            return failure;
        }
        finally
        {
            if (!opened)
            {
                foreach (SelectorConnection connection in all)
                {
                    connection.EndTls();
                }
            }
        }
    }

    /// <summary>
    /// Opens every connection at once with non-blocking connects and, with TLS, makes every handshake, all on one
    /// selector, until all are up; returns why they are not, or null.
    /// </summary>
    private string? Open(SelectorConnection[] all, CancellationToken cancellationToken)
    {
        using Selector selector = DefaultSelector.Create();
        int open = 0;
        int waiting = 0;
        foreach (SelectorConnection connection in all)
        {
            Socket socket = Endpoints.CreateSocket(EndPoint);
            connection.Connection.Socket = socket;
            SocketError started = NonBlockingConnect.Start(socket, EndPoint);
            if (started is not (SocketError.Success or SocketError.InProgress))
            {
                return new SocketException((int)started).Message;
            }

            if (started == SocketError.Success && _tls is null)
            {
                open++;
                continue;
            }

            selector.Register(socket, SelectorEvents.Write, connection);
            connection.OnRegistered(socket);
            connection.State = SelectorConnectionState.Connecting;
            waiting++;

            // A connect that is done at once (a Unix socket's) goes straight on to its handshake.
            if (started == SocketError.Success && Advance(selector, connection, SelectorEvents.None, ref waiting, ref open) is { } failure)
            {
                return failure;
            }
        }

        TimeSpan timeout = TimeSpan.FromSeconds((double)Run.TimeoutTicks / Stopwatch.Frequency);
        long start = Stopwatch.GetTimestamp();
        while (waiting > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan left = timeout - Stopwatch.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
            {
                return $"{open} of {all.Length} connection(s) opened within the timeout";
            }

            foreach (SelectorEvent ready in selector.Select(left < CancellationPoll ? left : CancellationPoll))
            {
                if (Advance(selector, (SelectorConnection)ready.Key.Data!, ready.Events, ref waiting, ref open) is { } failure)
                {
                    return failure;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Takes a connection on by what its socket is ready for: a connect that finished, and with TLS the handshake,
    /// started or advanced; leaves the selector, and moves from <paramref name="waiting"/> to <paramref name="open"/>,
    /// once open. Returns why it failed, or null.
    /// </summary>
    private string? Advance(Selector selector, SelectorConnection connection, SelectorEvents ready, ref int waiting, ref int open)
    {
        if (connection.State == SelectorConnectionState.Connecting)
        {
            SocketError connected = NonBlockingConnect.Finish(connection.Registered!);
            if (connected != SocketError.Success)
            {
                return new SocketException((int)connected).Message;
            }

            if (_tls is null)
            {
                Opened(selector, connection, ref waiting, ref open);
                return null;
            }

            _tls.Start(connection);
            ready = SelectorEvents.None;
        }

        if (SelectorTls.Advance(connection, ready) is { } failure)
        {
            return failure;
        }

        LoopTls tls = connection.Tls!;
        if (SelectorTls.IsEstablished(tls))
        {
            Opened(selector, connection, ref waiting, ref open);
        }
        else
        {
            selector.Modify(connection.Registered!, SelectorTls.Waiting(tls));
        }

        return null;
    }
}
