using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Framewire.Selectors;
using Framewire.Selectors.Internal;

namespace Framewire.Cli.Bench;

/// <summary>
/// One event loop of the <see cref="SelectorDriver"/>: a selector over its share of the connections, run by one
/// thread. A readable socket gets one recv(2) into the connection's buffer, which holds a whole round of answers;
/// the answers it completes are checked in place and replaced by as many new requests in one send(2). With the
/// selector's wait shared by every ready socket, that is about two system calls per round of answers, as in a C
/// client, and nothing allocated.
/// </summary>
/// <remarks>
/// Level-triggered: a socket with more to read than one recv took is reported again by the next wait. A socket is
/// registered for writing only while a batch is partly sent. The watchdog (<see cref="BenchConnection.IsOverdue"/>)
/// runs on the loop's own thread between waits, so a stalled connection is closed where it is served. At
/// <c>--rate</c> the loop sends each request when it falls due, woken by a <see cref="PacingTimer"/> in the same
/// wait, or as soon as an answer makes room on a connection that was full. With TLS (<see cref="SelectorTls"/>) a
/// readable socket resumes the connection's TLS session instead, which decrypts on the loop thread and hands the
/// answers over as a recv would (SelectorLoop.Tls.cs).
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed partial class SelectorLoop
{
    // After a failed connect, wait this long before the next try, so that a dead server is not spun on.
    private static readonly long ReconnectDelay = RunControl.Ticks(TimeSpan.FromMilliseconds(10));

    private readonly SelectorConnection[] _connections;
    private readonly bool _oneshot;
    private readonly bool _paced;
    private readonly EndPoint _endPoint;
    private readonly RunControl _run;
    private readonly long _sweepInterval;
    private readonly SelectorTls? _tls;
    private Selector? _selector;
    private PacingTimer? _timer;
    private int _active;
    private int _waiting;

    /// <param name="connections">The loop's share; kept-open ones connected, and with TLS past the handshake.</param>
    /// <param name="tls">TLS on every connection, or null for plain TCP.</param>
    public SelectorLoop(SelectorConnection[] connections, bool oneshot, EndPoint endPoint, RunControl run, SelectorTls? tls)
    {
        _connections = connections;
        _tls = tls;
        _oneshot = oneshot;
        _paced = !oneshot && run.RequestIntervalTicks is not null;
        _endPoint = endPoint;
        _run = run;

        // As the async driver's watchdog: a timeout is noticed within a quarter of it, and within 0.1 s at most.
        _sweepInterval = Math.Min(RunControl.Ticks(TimeSpan.FromSeconds(0.1)), run.TimeoutTicks / 4);
    }

    /// <summary>Runs every connection until sending has stopped and each has been answered, has failed or has timed out.</summary>
    public void Run()
    {
        using Selector selector = DefaultSelector.Create();
        using PacingTimer? timer = _paced ? new PacingTimer() : null;
        _selector = selector;
        _timer = timer;
        if (timer is not null)
        {
            selector.Register(timer.Handle, SelectorEvents.Read);
        }

        long now = Stopwatch.GetTimestamp();
        _active = _connections.Length;
        foreach (SelectorConnection connection in _connections)
        {
            if (_oneshot)
            {
                StartRequest(connection, now);
            }
            else
            {
                Register(connection, connection.Connection.Socket!, SelectorEvents.Read);
                Start(connection, now);
            }
        }

        long nextSweep = now + _sweepInterval;
        while (_active > 0)
        {
            long wake = _waiting > 0 ? Math.Min(nextSweep, now + ReconnectDelay) : nextSweep;
            bool due = false;
            foreach (SelectorEvent ready in selector.Select(Stopwatch.GetElapsedTime(now, wake)))
            {
                if (ready.Key.Data is SelectorConnection connection)
                {
                    Service(connection, ready.Events);
                }
                else
                {
                    due = true;
                }
            }

            now = Stopwatch.GetTimestamp();
            if (due)
            {
                Pace(now);
            }

            if (_waiting > 0)
            {
                RetryConnects(now);
            }

            if (now >= nextSweep)
            {
                Sweep(now);
                nextSweep = now + _sweepInterval;
            }
        }

        if (timer is not null)
        {
            selector.Unregister(timer.Handle);
        }

        _selector = null;
        _timer = null;
    }

    private void Service(SelectorConnection connection, SelectorEvents events)
    {
        if (connection.State == SelectorConnectionState.Connecting)
        {
            // A failed connect is reported readable and writable; either way SO_ERROR says how it ended.
            FinishConnect(connection);
            return;
        }

        if (connection.State == SelectorConnectionState.Handshaking)
        {
            AdvanceHandshake(connection, events);
            return;
        }

        if ((events & SelectorEvents.Read) != 0)
        {
            Receive(connection);
        }

        if ((events & SelectorEvents.Write) != 0 && connection.State == SelectorConnectionState.Open)
        {
            FlushUnsent(connection);
        }
    }

    private unsafe void Receive(SelectorConnection connection)
    {
        if (connection.Tls is { } tls)
        {
            // The session's read waits for this: it reads, decrypts, and the answers reach OnTlsRead inline.
            if (tls.IsReadPending)
            {
                tls.OnReadable();
            }

            return;
        }

        Span<byte> buffer = connection.Connection.ReceiveBuffer.Span;
        nint received;
        fixed (byte* p = buffer)
        {
            received = LibC.Recv(connection.Fd, p, (nuint)buffer.Length);
        }

        long now = Stopwatch.GetTimestamp();
        if (received >= 0)
        {
            Received(connection, (int)received, now);
            return;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno != LibC.EAGAIN)
        {
            Fail(connection, ErrorKind.Reset, Marshal.GetPInvokeErrorMessage(errno), now);
        }
    }

    /// <summary>Takes <paramref name="received"/> bytes of answers from the receive buffer (0: the server closed), and sends or closes as they allow.</summary>
    private void Received(SelectorConnection connection, int received, long now)
    {
        BenchConnection bench = connection.Connection;
        if (received == 0)
        {
            Fail(connection, ErrorKind.Closed, string.Create(CultureInfo.InvariantCulture, $"the server closed the connection with {bench.InFlight} answer(s) owed"), now);
            return;
        }

        if (!bench.OnReceived(bench.ReceiveBuffer.Span[..received], now))
        {
            Fail(connection, ErrorKind.Mismatch, null, now);
            return;
        }

        if (!_oneshot)
        {
            SendNext(connection, now);
        }
        else if (bench.InFlight == 0)
        {
            // The answer is in: this request's connection is done, and the next request gets a new one.
            Close(connection);
            StartRequest(connection, now);
        }
    }

    /// <summary>
    /// Sends the requests the depth has room for (at <c>--rate</c>, those that are due), unless a batch is still partly
    /// unsent; finishes a connection with nothing left to do.
    /// </summary>
    private void SendNext(SelectorConnection connection, long now)
    {
        SendDue(connection, now);

        // A connection that is full when its next request falls due sends it as an answer makes room; one that has
        // room waits for the timer.
        if (_paced && connection.State == SelectorConnectionState.Open)
        {
            long next = connection.Connection.NextIntended;
            if (next > now)
            {
                _timer!.ArmBy(next);
            }
        }
    }

    /// <summary><see cref="SendNext"/> without setting the timer.</summary>
    private void SendDue(SelectorConnection connection, long now)
    {
        if (connection.IsSending)
        {
            return;
        }

        BenchConnection bench = connection.Connection;
        ReadOnlyMemory<byte> batch = _paced ? bench.DueBatch(now) : bench.NextBatch(now);
        if (!batch.IsEmpty)
        {
            Send(connection, batch, now);
        }
        else if (bench.InFlight == 0 && !_run.CanSend(now))
        {
            Finish(connection);
        }
    }

    /// <summary>
    /// At <c>--rate</c>, when the timer fires: sends every connection's due requests and sets the timer for the next,
    /// and for the end of sending, when idle connections are finished.
    /// </summary>
    private void Pace(long now)
    {
        long deadline = _run.Deadline;
        long wake = deadline > now ? deadline : long.MaxValue;
        foreach (SelectorConnection connection in _connections)
        {
            if (connection.State == SelectorConnectionState.Open)
            {
                SendDue(connection, now);
                long next = connection.Connection.NextIntended;
                if (connection.State == SelectorConnectionState.Open && next > now && next < wake)
                {
                    wake = next;
                }
            }
        }

        // One system call for the whole pass, which also clears the expiry that woke it.
        _timer!.Set(wake);
    }

    private unsafe void Send(SelectorConnection connection, ReadOnlyMemory<byte> batch, long now)
    {
        if (connection.Tls is not null)
        {
            SendTls(connection, batch, now);
            return;
        }

        ReadOnlySpan<byte> bytes = batch.Span;
        nint sent;
        fixed (byte* p = bytes)
        {
            sent = LibC.Send(connection.Fd, p, (nuint)bytes.Length);
        }

        if (sent == bytes.Length)
        {
            return;
        }

        if (sent < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EAGAIN)
            {
                Fail(connection, ErrorKind.Reset, Marshal.GetPInvokeErrorMessage(errno), now);
                return;
            }

            sent = 0;
        }

        // The socket buffer is full: the rest goes when the socket is writable again.
        connection.Unsent = batch[(int)sent..];
        _selector!.Modify(connection.Registered!, SelectorEvents.Read | SelectorEvents.Write);
    }

    private void FlushUnsent(SelectorConnection connection)
    {
        if (!connection.IsSending)
        {
            return;
        }

        ReadOnlyMemory<byte> unsent = connection.Unsent;
        connection.Unsent = default;
        _selector!.Modify(connection.Registered!, SelectorEvents.Read);
        long now = Stopwatch.GetTimestamp();
        Send(connection, unsent, now);

        // Answers that came while the batch waited made room for more requests.
        if (!_oneshot && connection.State == SelectorConnectionState.Open && !connection.IsSending)
        {
            SendNext(connection, now);
        }
    }
}
