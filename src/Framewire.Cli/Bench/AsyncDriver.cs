using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using Framewire.Client;

namespace Framewire.Cli.Bench;

/// <summary>
/// The driver on .NET's async <see cref="Socket"/>: one logical loop per connection, awaiting
/// <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/> and
/// <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/> with the connection's own
/// buffers. A long-lived loop's awaits reuse the socket's cached operation objects, so a request costs no allocation.
/// </summary>
/// <remarks>
/// Which threads run the loops is the runtime's choice; <c>framewire bench</c> asks for its continuations to run on
/// the socket engine's own event threads (<see cref="SocketThreads"/>), which cut the CPU per message by about 40 %
/// against dispatching them to the thread pool. At <c>--rate</c> a dedicated pacer thread sends requests at their
/// intended times while each connection's loop receives; the hand-over between the two threads makes an open-loop
/// request cost about three times a closed-loop one (30 to 35 µs against 10 µs of CPU at 20,000 requests/s here).
/// The <see cref="SelectorDriver"/> sends from its own event loop's timer instead; at that rate it cost about as much
/// CPU (37 to 41 µs, a timer wake-up and an answer's per request), allocating nothing per request where this driver
/// allocates about 30 bytes.
/// With TLS every connection's bytes go through an <see cref="SslStream"/> over a <see cref="NetworkStream"/> on its
/// socket; the handshake is part of opening a connection.
/// </remarks>
internal sealed class AsyncDriver : BenchDriver
{
    // After a failed connect, wait this long before the next try, so that a dead server is not spun on.
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromMilliseconds(10);

    // The pacer looks at the run at least this often, to notice an interruption.
    private static readonly long MaxPacerSleep = RunControl.Ticks(TimeSpan.FromMilliseconds(10));

    // While a connection is behind its schedule and full, its loop sends as answers make room; once it has caught
    // up, its next request falls due without the pacer knowing. The pacer then looks again this soon: a bound on
    // how late such a request goes out (a loopback round trip here is 50 to 100 µs).
    private static readonly long CatchUpPoll = RunControl.Ticks(TimeSpan.FromMicroseconds(50));

    private readonly BenchMode _mode;
    private readonly TlsClientOptions? _tls;
    private readonly string? _host;

    /// <param name="tls">TLS on every connection, or null for plain TCP.</param>
    /// <param name="host">The server's name as given, which its certificate must carry; null for a Unix socket.</param>
    public AsyncDriver(BenchMode mode, EndPoint endPoint, RunControl run, TlsClientOptions? tls = null, string? host = null)
        : base(endPoint, run)
    {
        _mode = mode;
        _tls = tls;
        _host = host;
    }

    public override async Task<string?> ConnectAsync(IReadOnlyList<BenchConnection> connections, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connections);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds((double)Run.TimeoutTicks / Stopwatch.Frequency));
        var connects = new Task[connections.Count];
        for (int i = 0; i < connects.Length; i++)
        {
            connects[i] = OpenAsync(connections[i], timeout.Token);
        }

        try
        {
            await Task.WhenAll(connects).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            int open = connects.Count(task => task.IsCompletedSuccessfully);
            return $"{open} of {connections.Count} connection(s) opened within the timeout";
        }
        catch (Exception e) when (e is SocketException or IOException or AuthenticationException)
        {
            return e.Message;
        }
    }

    public override async Task RunAsync(IReadOnlyList<BenchConnection> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        TimeSpan period = TimeSpan.FromSeconds(Math.Min(0.1, (double)Run.TimeoutTicks / Stopwatch.Frequency / 4));
        using var watchdog = new Timer(Watch, connections, period, period);
        var loops = new List<Task>(connections.Count + 1);
        if (_mode != BenchMode.Oneshot && Run.RequestIntervalTicks is not null)
        {
            // The schedule starts when the pacer is running, not while its thread is still being created.
            loops.Add(StartPacer(connections));
        }
        else
        {
            Run.Begin(Stopwatch.GetTimestamp());
        }

        foreach (BenchConnection connection in connections)
        {
            loops.Add(_mode == BenchMode.Oneshot ? OneshotLoopAsync(connection)
                : Run.RequestIntervalTicks is null ? ClosedLoopAsync(connection)
                : PacedLoopAsync(connection));
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    /// <summary>Closed loop: send what the depth allows, then for every k answers read, k new requests in one send.</summary>
    private async Task ClosedLoopAsync(BenchConnection connection)
    {
        while (true)
        {
            ReadOnlyMemory<byte> first = connection.NextBatch(Stopwatch.GetTimestamp());
            if (await ExchangeAsync(connection, connection.Socket!, first, keepSending: true).ConfigureAwait(false) is not { } failure)
            {
                return;
            }

            connection.Fail(failure.Kind, failure.Detail);
            if (!await ReconnectAsync(connection).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>A new connection per request: connect, send, read the whole answer, close.</summary>
    private async Task OneshotLoopAsync(BenchConnection connection)
    {
        while (true)
        {
            // Taken before the connect, so the latency includes the connection's setup.
            ReadOnlyMemory<byte> request = connection.NextBatch(Stopwatch.GetTimestamp());
            if (request.IsEmpty)
            {
                return;
            }

            try
            {
                await OpenAsync(connection, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                connection.Fail(connection.TimedOut ? ErrorKind.Timeout : ErrorKind.Connect, "connect failed: " + e.Message);
                continue;
            }

            Socket socket = connection.Socket!;
            if (await ExchangeAsync(connection, socket, request, keepSending: false).ConfigureAwait(false) is { } failure)
            {
                connection.Fail(failure.Kind, failure.Detail);
                continue;
            }

            connection.Tls?.Dispose();
            connection.Tls = null;
            connection.Socket = null;
            socket.Dispose();
        }
    }

    /// <summary>At <c>--rate</c>: receives and checks answers while the pacer sends; replaces a failed connection.</summary>
    private async Task PacedLoopAsync(BenchConnection connection)
    {
        while (true)
        {
            if (await ReceivePacedAsync(connection).ConfigureAwait(false) is not { } failure)
            {
                return;
            }

            // Closing first makes a send the pacer has pending fail and let go of the send lock; waiting for it on
            // an open socket could wait for this very thread.
            connection.Socket?.Dispose();
            connection.AcquireSend();
            try
            {
                connection.Fail(failure.Kind, failure.Detail);
                if (!await ReconnectAsync(connection).ConfigureAwait(false))
                {
                    return;
                }
            }
            finally
            {
                connection.ReleaseSend();
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="batch"/>, then receives until nothing is in flight; with <paramref name="keepSending"/>,
    /// every receive that completes answers is followed by as many new requests in one send.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ConnectionFailure?> ExchangeAsync(BenchConnection connection, Socket socket, ReadOnlyMemory<byte> batch, bool keepSending)
    {
        Memory<byte> buffer = connection.ReceiveBuffer;
        SslStream? tls = connection.Tls;
        try
        {
            while (true)
            {
                if (!batch.IsEmpty)
                {
                    if (tls is null)
                    {
                        await socket.SendAsync(batch, SocketFlags.None).ConfigureAwait(false);
                    }
                    else
                    {
                        await tls.WriteAsync(batch).ConfigureAwait(false);
                    }
                }

                if (connection.InFlight == 0)
                {
                    return null;
                }

                int received = await ReceiveAsync(socket, tls, buffer).ConfigureAwait(false);
                long now = Stopwatch.GetTimestamp();
                if (received == 0)
                {
                    return Closed(connection);
                }

                if (!connection.OnReceived(buffer.Span[..received], now))
                {
                    return new ConnectionFailure(ErrorKind.Mismatch, null);
                }

                batch = keepSending ? connection.NextBatch(now) : default;
            }
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            return Broken(connection, e);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ConnectionFailure?> ReceivePacedAsync(BenchConnection connection)
    {
        Socket socket = connection.Socket!;
        SslStream? tls = connection.Tls;
        Memory<byte> buffer = connection.ReceiveBuffer;
        try
        {
            while (!connection.IsFinished(Stopwatch.GetTimestamp()))
            {
                int received = await ReceiveAsync(socket, tls, buffer).ConfigureAwait(false);
                long now = Stopwatch.GetTimestamp();
                if (received == 0)
                {
                    // The pacer shuts the receive side of idle connections down once sending is over.
                    return connection.IsFinished(now) ? null : Closed(connection);
                }

                if (!connection.OnReceived(buffer.Span[..received], now))
                {
                    return new ConnectionFailure(ErrorKind.Mismatch, null);
                }

                // A connection that was full when its requests fell due sends them now, not at the pacer's next wake.
                if (connection.TryAcquireSend())
                {
                    try
                    {
                        ReadOnlyMemory<byte> due = connection.DueBatch(now);
                        if (!due.IsEmpty && tls is not null)
                        {
                            await tls.WriteAsync(due).ConfigureAwait(false);
                        }
                        else if (!due.IsEmpty)
                        {
                            await socket.SendAsync(due, SocketFlags.None).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        connection.ReleaseSend();
                    }
                }
            }

            return null;
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            return connection.IsFinished(Stopwatch.GetTimestamp()) ? null : Broken(connection, e);
        }
    }

    /// <summary>Replaces a failed connection's socket; false once the run no longer sends.</summary>
    private async Task<bool> ReconnectAsync(BenchConnection connection)
    {
        while (Run.CanSend(Stopwatch.GetTimestamp()))
        {
            connection.BeginConnect(Stopwatch.GetTimestamp());
            try
            {
                await OpenAsync(connection, CancellationToken.None).ConfigureAwait(false);
                connection.EndConnect();
                return true;
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                connection.Fail(connection.TimedOut ? ErrorKind.Timeout : ErrorKind.Connect, "connect failed: " + e.Message);
            }

            await Task.Delay(ReconnectDelay).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>Starts the pacer's thread and the run's clock once the thread runs.</summary>
    private Task StartPacer(IReadOnlyList<BenchConnection> connections)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var running = new ManualResetEventSlim();
        var begun = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            try
            {
                PreciseSleep.PrepareThread();
                running.Set();
                begun.Wait();
                begun.Dispose();
                Pace(connections);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "framewire bench pacer",
        };
        thread.Start();
        running.Wait();
        Run.Begin(Stopwatch.GetTimestamp());
        begun.Set();
        return done.Task;
    }

    /// <summary>
    /// Sends every connection's due requests, then sleeps until the next one falls due. A connection that is full
    /// when its request falls due is skipped: its loop sends as soon as an answer makes room.
    /// </summary>
    private void Pace(IReadOnlyList<BenchConnection> connections)
    {
        long now;
        while (Run.CanSend(now = Stopwatch.GetTimestamp()))
        {
            long wake = Math.Min(now + MaxPacerSleep, Run.Deadline);
            foreach (BenchConnection connection in connections)
            {
                if (connection.Socket is Socket socket && connection.TryAcquireSend())
                {
                    SendDue(connection, socket, now);
                }

                long next = connection.NextIntended;
                wake = Math.Min(wake, next > now ? next : now + CatchUpPoll);
            }

            PreciseSleep.Sleep(wake - Stopwatch.GetTimestamp());
        }

        // Sending is over: wake the loops of idle connections, whose receives would otherwise wait forever.
        foreach (BenchConnection connection in connections)
        {
            if (connection.IsFinished(Stopwatch.GetTimestamp()))
            {
                try
                {
                    connection.Socket?.Shutdown(SocketShutdown.Receive);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Already closed: its loop has ended or is reconnecting and will see that sending is over.
                }
            }
        }
    }

    /// <summary>Sends a connection's due requests from the pacer, which must not wait: a send that cannot finish at once completes on its own.</summary>
    private static void SendDue(BenchConnection connection, Socket socket, long now)
    {
        try
        {
            ReadOnlyMemory<byte> due = connection.DueBatch(now);
            if (!due.IsEmpty && connection.Tls is { } tls)
            {
                ValueTask writing = tls.WriteAsync(due);
                if (!writing.IsCompleted)
                {
                    _ = FinishWriteAsync(connection, writing);
                    return;
                }

                writing.GetAwaiter().GetResult();
            }
            else if (!due.IsEmpty)
            {
                ValueTask<int> sending = socket.SendAsync(due, SocketFlags.None);
                if (!sending.IsCompleted)
                {
                    _ = FinishSendAsync(connection, sending);
                    return;
                }

                sending.GetAwaiter().GetResult();
            }
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            // The connection's loop sees the socket fail and counts it.
            socket.Dispose();
        }

        connection.ReleaseSend();
    }

    // Only for sends that the socket buffer could not take at once, which a run that keeps up rarely sees.
    private static async Task FinishSendAsync(BenchConnection connection, ValueTask<int> sending)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            connection.Socket?.Dispose();
        }
        finally
        {
            connection.ReleaseSend();
        }
    }

    private static async Task FinishWriteAsync(BenchConnection connection, ValueTask writing)
    {
        try
        {
            await writing.ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            connection.Socket?.Dispose();
        }
        finally
        {
            connection.ReleaseSend();
        }
    }

    // With TLS a broken socket shows as an IOException around the SocketException, and a failed handshake as an
    // AuthenticationException.
    private static bool IsConnectionFailure(Exception e) => e is SocketException or IOException or ObjectDisposedException or AuthenticationException;

    private static ValueTask<int> ReceiveAsync(Socket socket, SslStream? tls, Memory<byte> buffer) =>
        tls is null ? socket.ReceiveAsync(buffer, SocketFlags.None) : tls.ReadAsync(buffer);

    /// <summary>Opens the connection's socket and, with TLS, makes the handshake over it.</summary>
    /// <exception cref="AuthenticationException">The handshake failed; the message says why, an untrusted certificate most often.</exception>
    private async Task OpenAsync(BenchConnection connection, CancellationToken cancellationToken)
    {
        Socket socket = Endpoints.CreateSocket(EndPoint);
        connection.Socket = socket;
        await socket.ConnectAsync(EndPoint, cancellationToken).ConfigureAwait(false);
        if (_tls is null)
        {
            return;
        }

        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true));
        connection.Tls = stream;
        try
        {
            await stream.AuthenticateAsClientAsync(_tls.CreateAuthenticationOptions(_host, EndPoint), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            // A server that refuses the handshake may just close the connection: an IOException that names no step.
            throw new AuthenticationException("TLS handshake failed: " + e.Message, e);
        }
    }

    private ConnectionFailure Closed(BenchConnection connection) => connection.TimedOut
        ? TimedOut()
        : new ConnectionFailure(ErrorKind.Closed, string.Create(CultureInfo.InvariantCulture, $"the server closed the connection with {connection.InFlight} answer(s) owed"));

    private ConnectionFailure Broken(BenchConnection connection, Exception e) => connection.TimedOut
        ? TimedOut()
        : new ConnectionFailure(ErrorKind.Reset, e.Message);

    private ConnectionFailure TimedOut() => new(
        ErrorKind.Timeout,
        string.Create(CultureInfo.InvariantCulture, $"no answer within {(double)Run.TimeoutTicks / Stopwatch.Frequency:0.###} s"));

    private static void Watch(object? state)
    {
        var connections = (IReadOnlyList<BenchConnection>)state!;
        long now = Stopwatch.GetTimestamp();
        foreach (BenchConnection connection in connections)
        {
            if (connection.IsOverdue(now))
            {
                connection.Abort();
            }
        }
    }
}
