using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;

namespace Framewire.Cli.Bench;

/// <summary>
/// One connection's share of the load, whatever driver moves its bytes: which requests go out next and when each
/// was (or, at <c>--rate</c>, should have been) sent, the check of what comes back, and the connection's counts.
/// Nothing here allocates per request: the requests are laid out up front, the answers are checked in place, and
/// latencies reach the shared histogram in batches.
/// </summary>
/// <remarks>
/// One loop sends and one receives at a time; in a closed-loop run they are the same loop. At <c>--rate</c> a pacer
/// sends while the connection's loop receives, so the sequence numbers are published with volatile writes: the
/// sender fills a slot of <see cref="_started"/> before it publishes <see cref="_sent"/>, and only reuses a slot
/// once <see cref="_done"/> has passed it. Senders take <see cref="TryAcquireSend"/> first. The progress display
/// and the watchdog read the counters without locks; a slightly stale count is all they can see.
/// </remarks>
internal sealed class BenchConnection : IDisposable
{
    // Latencies handed to the shared histogram at a time: one lock per this many answers.
    private const int LatencyBatch = 256;

    // Receive buffers hold a whole round of answers (depth × answer) within these bounds; answers are checked as
    // they arrive, so one larger than the buffer is checked piece by piece.
    private const int MinimumReceiveSize = 4096;
    private const int MaximumReceiveSize = 64 * 1024;

    private readonly RunControl _run;
    private readonly Workload _workload;
    private readonly RequestWriter _writer;
    private readonly ResponseChecker _checker;
    private readonly int _depth;

    // When request s was sent (or was meant to be), at [s % depth].
    private readonly long[] _started;
    private readonly long[] _latencies = new long[LatencyBatch];
    private readonly long[] _errors = new long[Enum.GetValues<ErrorKind>().Length];

    // At --rate: this connection's k-th request is meant for Start + _firstIntended + k × _intendedInterval.
    private readonly double _firstIntended;
    private readonly double _intendedInterval;

    private byte[] _receiveBuffer;
    private volatile Socket? _socket;
    private volatile SslStream? _tls;
    private int _latencyCount;
    private long _sent;
    private long _done;
    private long _scheduled;
    private long _messages;
    private long _warmupMessages;
    private long _bytes;
    private long _lastProgress;
    private int _sendLock;
    private volatile bool _connecting;
    private volatile bool _timedOut;

    public BenchConnection(int index, Workload workload, RunControl run)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(run);
        Index = index;
        _workload = workload;
        _run = run;
        _depth = run.Depth;
        _started = new long[_depth];
        _writer = new RequestWriter(workload, _depth);
        _checker = new ResponseChecker(workload);
        long receiveSize = Math.Clamp((long)_depth * workload.MaxResponseLength, MinimumReceiveSize, MaximumReceiveSize);
        _receiveBuffer = ArrayPool<byte>.Shared.Rent((int)receiveSize);
        if (run.RequestIntervalTicks is double interval)
        {
            _intendedInterval = interval * run.Connections;
            _firstIntended = interval * index;
        }
    }

    public int Index { get; }

    /// <summary>The connection's socket; null between a failure and the next connect.</summary>
    public Socket? Socket
    {
        get => _socket;
        set => _socket = value;
    }

    /// <summary>With TLS on the async driver, the stream over <see cref="Socket"/> that the connection's bytes go through; null otherwise.</summary>
    public SslStream? Tls
    {
        get => _tls;
        set => _tls = value;
    }

    public Memory<byte> ReceiveBuffer => _receiveBuffer;

    /// <summary>Requests sent and not yet answered.</summary>
    public long InFlight => Volatile.Read(ref _sent) - Volatile.Read(ref _done);

    /// <summary>True when the watchdog ended the connection for want of progress.</summary>
    public bool TimedOut => _timedOut;

    /// <summary>At <c>--rate</c>: when the next request is meant to go out.</summary>
    public long NextIntended => Intended(_scheduled);

    public long Messages => Volatile.Read(ref _messages);

    public long WarmupMessages => Volatile.Read(ref _warmupMessages);

    public long Bytes => Volatile.Read(ref _bytes);

    public long ErrorCount
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _errors.Length; i++)
            {
                total += Volatile.Read(ref _errors[i]);
            }

            return total;
        }
    }

    public long Errors(ErrorKind kind) => Volatile.Read(ref _errors[(int)kind]);

    /// <summary>
    /// Closed loop: the requests to send now, as many as the depth has room for and the run allows, stamped as
    /// sent at <paramref name="now"/>; empty when none may go.
    /// </summary>
    public ReadOnlyMemory<byte> NextBatch(long now)
    {
        if (!_run.CanSend(now))
        {
            return default;
        }

        long inFlight = _sent - _done;
        int count = _run.Budget.Take((int)(_depth - inFlight));
        for (int i = 0; i < count; i++)
        {
            _started[(_sent + i) % _depth] = now;
        }

        return Publish(count, inFlight, now);
    }

    /// <summary>
    /// At <c>--rate</c>: the requests whose intended time has come, as many as the depth has room for, each stamped
    /// with its intended time, so that waiting for room counts against the server (no coordinated omission).
    /// </summary>
    public ReadOnlyMemory<byte> DueBatch(long now)
    {
        double elapsed = now - _run.Start - _firstIntended;
        if (elapsed < 0 || !_run.CanSend(now))
        {
            return default;
        }

        long due = (long)(elapsed / _intendedInterval) + 1 - _scheduled;
        long inFlight = _sent - Volatile.Read(ref _done);
        int count = _run.Budget.Take((int)Math.Min(due, _depth - inFlight));
        if (count <= 0)
        {
            return default;
        }

        for (int i = 0; i < count; i++)
        {
            _started[(_sent + i) % _depth] = Intended(_scheduled + i);
        }

        _scheduled += count;
        return Publish(count, inFlight, now);
    }

    /// <summary>Checks received bytes and records the answers they complete; false when they do not match.</summary>
    public bool OnReceived(ReadOnlySpan<byte> received, long now)
    {
        Volatile.Write(ref _lastProgress, now);
        long first = _checker.Next;
        int completed = _checker.Check(received, Volatile.Read(ref _sent));
        if (completed > 0)
        {
            Complete(first, completed, now);
        }

        if (_checker.Failure is string failure)
        {
            _run.Latencies.ReportFailure($"connection {Index}: {failure}");
            return false;
        }

        return true;
    }

    /// <summary>
    /// Ends the current socket after a failure (at <c>--rate</c>, with the send lock held): every request in flight counts as an error of this kind (an error
    /// with none in flight counts once, and takes one request from a <c>--requests</c> budget so the run still ends).
    /// </summary>
    public void Fail(ErrorKind kind, string? detail = null)
    {
        long sent = Volatile.Read(ref _sent);
        long lost = sent - _done;
        if (lost == 0)
        {
            lost = 1;
            _run.Budget.Take(1);
        }

        Volatile.Write(ref _errors[(int)kind], _errors[(int)kind] + lost);
        if (detail is not null)
        {
            _run.Latencies.ReportFailure($"connection {Index}: {detail}");
        }

        _socket?.Dispose();
        _socket = null;
        _tls?.Dispose();
        _tls = null;
        _timedOut = false;
        _connecting = false;
        _checker.Restart(sent);
        Volatile.Write(ref _done, sent);
    }

    /// <summary>Marks a connect in progress, which the watchdog times like a request.</summary>
    public void BeginConnect(long now)
    {
        Volatile.Write(ref _lastProgress, now);
        _connecting = true;
    }

    public void EndConnect() => _connecting = false;

    /// <summary>True when requests (or a connect) have waited longer than the timeout.</summary>
    public bool IsOverdue(long now) =>
        (_connecting || InFlight > 0) && now - Volatile.Read(ref _lastProgress) > _run.TimeoutTicks;

    /// <summary>Ends a stalled connection: its pending operation fails and its loop counts a timeout.</summary>
    public void Abort()
    {
        _timedOut = true;
        _socket?.Dispose();
    }

    /// <summary>
    /// True when the run sends no more and every request this connection sent is answered. A sender on another thread
    /// may have taken the last of the budget without counting its requests yet, so the answer is read under the send lock.
    /// </summary>
    public bool IsFinished(long now)
    {
        if (InFlight > 0 || _run.CanSend(now))
        {
            return false;
        }

        AcquireSend();
        try
        {
            return InFlight == 0;
        }
        finally
        {
            ReleaseSend();
        }
    }

    public bool TryAcquireSend() => Interlocked.CompareExchange(ref _sendLock, 1, 0) == 0;

    public void AcquireSend()
    {
        var spin = default(SpinWait);
        while (!TryAcquireSend())
        {
            spin.SpinOnce();
        }
    }

    public void ReleaseSend() => Volatile.Write(ref _sendLock, 0);

    /// <summary>Hands the last latencies to the histogram and returns the buffers; the connection is done.</summary>
    public void Dispose()
    {
        _run.Latencies.Record(_latencies.AsSpan(0, _latencyCount));
        _latencyCount = 0;
        _socket?.Dispose();
        _tls?.Dispose();
        _writer.Dispose();
        if (_receiveBuffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_receiveBuffer);
            _receiveBuffer = [];
        }
    }

    private ReadOnlyMemory<byte> Publish(int count, long inFlight, long now)
    {
        if (count <= 0)
        {
            return default;
        }

        ReadOnlyMemory<byte> batch = _writer.Write(_sent, count);

        // The timeout runs from the first request in flight; later ones ride on the answers' progress.
        if (inFlight == 0)
        {
            Volatile.Write(ref _lastProgress, now);
        }

        Volatile.Write(ref _sent, _sent + count);
        return batch;
    }

    private void Complete(long first, int count, long now)
    {
        if (now < _run.MeasureFrom)
        {
            Volatile.Write(ref _warmupMessages, _warmupMessages + count);
        }
        else
        {
            long bytes = 0;
            for (long sequence = first; sequence < first + count; sequence++)
            {
                _latencies[_latencyCount++] = now - _started[sequence % _depth];
                if (_latencyCount == LatencyBatch)
                {
                    _run.Latencies.Record(_latencies);
                    _latencyCount = 0;
                }

                bytes += _workload.RequestLength(sequence) + _workload.ResponseLength(sequence);
            }

            Volatile.Write(ref _bytes, _bytes + bytes);
            Volatile.Write(ref _messages, _messages + count);
        }

        Volatile.Write(ref _done, first + count);
    }

    private long Intended(long k) => _run.Start + (long)(_firstIntended + (k * _intendedInterval));
}
