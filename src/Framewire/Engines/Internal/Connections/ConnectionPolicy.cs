namespace Framewire.Engines.Internal.Connections;

/// <summary>
/// One connection's timers and windows and the decisions taken on them, the same for every engine: when a frame
/// header or its content is overdue, when the connection has idled too long, when its client has stopped taking its
/// output. The engine reports what its I/O did (bytes received, a send that could not finish, output drained) and
/// asks for a verdict on its sweep; it keeps only how it moves bytes and waits for readiness.
/// </summary>
/// <remarks>
/// Times are <see cref="Environment.TickCount64"/> milliseconds; a "since" of 0 means nothing is under way. The
/// thread that runs the connection writes the report fields; <see cref="Check"/> may run on another (the async
/// engine's sweep timer) and alone writes the window fields, so every shared field is read and written volatile.
/// </remarks>
internal class ConnectionPolicy : ConnectionOutput
{
    private long _lastActivity;
    private long _headerSince;
    private long _contentSince;
    private long _contentBase;
    private long _sendSince;
    private long _sendBase;
    private int _progress;
    private int _answersOwed;
    private volatile bool _shuttingDown;

    // The sweep's window on the send under way: since when, and the sent count then. Check only.
    private long _windowSince;
    private long _windowBase;

    public ConnectionPolicy(ConnectionLimits limits, ConnectionStats stats)
        : base(limits, stats)
    {
        _lastActivity = Environment.TickCount64;
    }

    /// <summary>Where the application was in its message after it last processed input.</summary>
    public MessageProgress Progress => (MessageProgress)Volatile.Read(ref _progress);

    /// <summary>True once the server stopping reached this connection: it takes no new input, answers what it has, and closes.</summary>
    public bool IsShuttingDown => _shuttingDown;

    /// <summary>True when the client is a slow consumer by the send limit: more than that unsent, beyond a single message.</summary>
    public bool IsOverSendLimit => Unsent > _limits.SendLimit && UnsentMessages > 1;

    public void MarkShuttingDown() => _shuttingDown = true;

    /// <summary>The connection has just become able to receive (accepted, or past its handshake): idleness counts from now.</summary>
    public void Restart() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    public void OnReceived(int count)
    {
        Volatile.Write(ref _lastActivity, Environment.TickCount64);
        _stats.AddBytesReceived(count);
    }

    /// <summary>
    /// Messages the application has taken and not answered yet: while there are any, the connection is not idle, as it
    /// is not while a handler runs.
    /// </summary>
    public void SetAnswersOwed(int count) => Volatile.Write(ref _answersOwed, count);

    /// <summary>True while the application owes answers to messages it has taken (<see cref="SetAnswersOwed"/>).</summary>
    public bool OwesAnswers => Volatile.Read(ref _answersOwed) != 0;

    /// <summary>
    /// Asks the engine, from any thread, to call the application again soon with the input it holds, so that it can
    /// send what was produced elsewhere (answers given on another thread). Without an engine, nothing happens.
    /// </summary>
    public virtual void Wake()
    {
    }

    /// <summary>Pending work completed: the connection was busy, not idle.</summary>
    public void OnWorkCompleted() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    /// <summary>
    /// After the application processed input: starts or stops the frame timeout's clock (a header begun) and the minimum
    /// data rate's (content awaited). Input held back by the read-ahead limit is whole messages, not a late header.
    /// </summary>
    public void AfterProcess(ProcessStatus status, MessageProgress progress)
    {
        Volatile.Write(ref _progress, (int)progress);
        if (status is ProcessStatus.Paused or ProcessStatus.Pending || progress != MessageProgress.Header)
        {
            Volatile.Write(ref _headerSince, 0);
        }
        else if (_headerSince == 0)
        {
            Volatile.Write(ref _headerSince, Environment.TickCount64);
        }

        if (progress != MessageProgress.Content)
        {
            Volatile.Write(ref _contentSince, 0);
        }
        else if (_contentSince == 0)
        {
            Volatile.Write(ref _contentBase, _stats.BytesReceived);
            Volatile.Write(ref _contentSince, Environment.TickCount64);
        }
    }

    /// <summary>Output is waiting on the client (a send could not finish, or is under way): the output rate is measured from now.</summary>
    public void OnSendWaiting()
    {
        if (_sendSince == 0)
        {
            Volatile.Write(ref _sendBase, _stats.BytesSent);
            Volatile.Write(ref _sendSince, Environment.TickCount64);
        }
    }

    /// <summary>The client took everything written: nothing waits on it, and read-ahead starts over.</summary>
    public void OnDrained()
    {
        Volatile.Write(ref _sendSince, 0);
        ResetMessages();
    }

    /// <summary>
    /// The verdict on the connection at <paramref name="now"/>, for the engine's sweep: the close it is due for
    /// (<see cref="CloseReason.SlowConsumer"/> or one of <see cref="CheckInput"/>'s), or null while it is fine. While
    /// <paramref name="applicationBusy"/> (pending work, or a send in flight) its input is not being looked at, so
    /// only its output is judged. Only the sweep calls this: it alone moves the output rate's window.
    /// </summary>
    public ConnectionClose? Check(long now, bool applicationBusy)
    {
        if (IsSlowConsumer(now) is string detail)
        {
            return new ConnectionClose(CloseReason.SlowConsumer, detail);
        }

        return applicationBusy ? null : CheckInput(now);
    }

    /// <summary>
    /// The verdict on the connection's input alone: <see cref="CloseReason.FrameTimeout"/>,
    /// <see cref="CloseReason.DataRateTooLow"/>, or <see cref="CloseReason.IdleTimeout"/> when nothing is in flight
    /// either; null while it is fine. Any thread.
    /// </summary>
    public ConnectionClose? CheckInput(long now)
    {
        if (_limits.IsFrameExpired(Volatile.Read(ref _headerSince), now))
        {
            return new ConnectionClose(CloseReason.FrameTimeout);
        }

        if (_limits.IsTooSlow(Volatile.Read(ref _contentSince), _stats.BytesReceived - Volatile.Read(ref _contentBase), now))
        {
            return new ConnectionClose(CloseReason.DataRateTooLow);
        }

        return Unsent == 0 && !OwesAnswers && _limits.IsIdleExpired(Volatile.Read(ref _lastActivity), now) ? new ConnectionClose(CloseReason.IdleTimeout) : null;
    }

    /// <summary>
    /// Before a connection closes for <paramref name="reason"/>: a message it cuts short is answered by the
    /// application (<see cref="ConnectionApplication.OnIncompleteMessage"/>), so the peer learns why.
    /// </summary>
    public void CutShort(ConnectionApplication application, CloseReason reason)
    {
        if (Progress != MessageProgress.None)
        {
            application.OnIncompleteMessage(reason, this);
            Volatile.Write(ref _progress, (int)MessageProgress.None);
            Volatile.Write(ref _headerSince, 0);
            Volatile.Write(ref _contentSince, 0);
        }
    }

    /// <summary>What the live view shows of a connection waiting for input.</summary>
    public ConnectionState WaitingState(bool hasUnconsumedInput) =>
        _shuttingDown ? ConnectionState.Draining
        : hasUnconsumedInput || Progress != MessageProgress.None ? ConnectionState.Reading
        : ConnectionState.Idle;

    /// <summary>
    /// Why the client is a slow consumer, or null: past the send limit, or slower than the minimum rate over the last
    /// grace period. The window moves on while the rate holds, so what the socket took at first cannot hide a client
    /// that stopped reading.
    /// </summary>
    private string? IsSlowConsumer(long now)
    {
        long sendSince = Volatile.Read(ref _sendSince);
        if (sendSince == 0)
        {
            return null;
        }

        if (IsOverSendLimit)
        {
            return "unsent output passed the send limit";
        }

        long sent = _stats.BytesSent;
        if (_windowSince < sendSince)
        {
            // A new wait: the rate is measured from its start.
            _windowSince = sendSince;
            _windowBase = Volatile.Read(ref _sendBase);
        }

        if (_limits.IsTooSlow(_windowSince, sent - _windowBase, now))
        {
            return "read slower than the minimum data rate";
        }

        if (_limits.GracePeriodMs > 0 && now - _windowSince >= _limits.GracePeriodMs)
        {
            _windowSince = now;
            _windowBase = sent;
        }

        return null;
    }
}
