using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;

namespace Framewire.Engines.Internal.Async;

/// <summary>
/// One accepted socket on the async engine: a receive loop fills an input <see cref="Pipe"/>; the process loop runs
/// the application on it and writes to a <see cref="PipeWriter"/> over the socket, flushing once per batch of
/// received bytes so pipelined requests share a send. Before that, a connection from a trusted proxy must deliver
/// its PROXY header, and a TLS server completes the handshake, both within the handshake timeout. Timeouts, limits
/// and close reasons are its base <see cref="ConnectionPolicy"/>'s; this class only moves bytes.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "RunAsync disposes what the connection owns when it ends.")]
internal sealed partial class AsyncConnection : ConnectionPolicy, IThreadPoolWorkItem
{
    // The pipe's segment size; also the smallest receive, so one receive fits a typical burst of small frames.
    private const int MinimumReceiveSize = 4096;

    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly ConnectionServices _services;
    private readonly bool _proxyRequired;
    private readonly bool _waitForData;
    private readonly CancellationTokenSource _receiveCancellation = new();
    private ConnectionInfo _info;

    // Only TLS goes through a stream; a plain connection uses the socket directly and carries none.
    private NetworkStream? _stream;

    // 1 while the process loop works on input (pending work or a send in flight): the sweep leaves its input alone.
    private int _busy;

    // The receive loop saw the peer go (a reset, or its FIN while the server was not stopping): nothing to linger for.
    private bool _peerGone;

    // The receive loop saw a reset or a broken TLS session: the peer reads nothing more, so no answer is waited for.
    private volatile bool _reset;

    // Set once, by the sweep or the shutdown timeout, just before the socket is aborted: the close that caused it.
    // Boxed, as it is rare: a connection that is never aborted carries a null, not the whole value.
    private StrongBox<ConnectionClose>? _aborted;

    // Set once the application exists, so that an abort can end what it waits for.
    private volatile ConnectionApplication? _application;

    public AsyncConnection(Socket socket, ConnectionInfo info, ConnectionServices services, MessageServerOptions options)
        : base(services.Limits, info.Stats)
    {
        _socket = socket;
        _info = info;
        _services = services;
        _proxyRequired = services.RequiresProxyHeader(info.RemoteEndPoint);
        _waitForData = options.WaitForDataBeforeAllocatingBuffer;
        if (_proxyRequired || services.Tls is not null)
        {
            info.Stats.SetState(ConnectionState.Handshake);
        }

        // The pipe must be able to hold one whole frame, or a frame larger than the pause threshold could never
        // complete: the reader cannot consume a frame before all of it is there.
        long pause = options.Limits.MaxFrameLength + (long)MinimumReceiveSize;
        _input = new Pipe(new PipeOptions(
            pool: MemoryPool<byte>.Shared,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: pause,
            resumeWriterThreshold: pause / 2,
            minimumSegmentSize: MinimumReceiveSize,
            useSynchronizationContext: false));
    }

    public long Id => _info.Id;

    /// <summary>Serves the connection to its end, closes it, and records why; never throws.</summary>
    public async Task RunAsync()
    {
        // One method for the whole connection: an idle connection holds one suspended state machine, not a chain.
        ConnectionClose close;
        SslStream? tls = null;
        try
        {
            (tls, ConnectionClose? refusal) = await EstablishAsync().ConfigureAwait(false);
            if (refusal is ConnectionClose refused)
            {
                close = refused;
            }
            else
            {
                // A slow handshake is the handshake timeout's business; idleness counts from here.
                Restart();
                _info.Stats.SetState(ConnectionState.Idle);
                ConnectionApplication application = _services.CreateApplication(_info);
                _application = application;
                PipeWriter output = tls is null
                    ? new SocketOutput(_socket, _info.Stats)
                    : PipeWriter.Create(new SendCounter(tls, _info.Stats), new StreamPipeWriterOptions(pool: MemoryPool<byte>.Shared, minimumBufferSize: MinimumReceiveSize, leaveOpen: true));
                Target = output;
                Task receiving = ReceiveLoopAsync(tls);
                Exception? sendFailure = null;
                try
                {
                    close = await ProcessLoopAsync(application, output).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                {
                    sendFailure = e;
                    close = new ConnectionClose(CloseReason.SendFailed, e.Message);
                }
                catch (Exception e)
                {
                    ServerLog.ConnectionFailed(_services.Log, _info.Id, e);
                    close = new ConnectionClose(CloseReason.Failed, e.Message);
                }

                _info.Stats.SetState(ConnectionState.Draining);
                await _input.Reader.CompleteAsync().ConfigureAwait(false);
                await _receiveCancellation.CancelAsync().ConfigureAwait(false);
                await receiving.ConfigureAwait(false);
                try
                {
                    // After a failed send, completing with the failure drops what is left instead of sending it again.
                    await output.CompleteAsync(sendFailure).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                {
                    // Completing flushes what a failed send left behind, and fails again on a peer that reset; the
                    // socket must still be closed below, not left to the finalizer.
                }

                application.ReleaseBuffers();
                if (close.ClosesFirst && !_peerGone && _aborted is null)
                {
                    await LingerAsync(tls).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e)
        {
            // A fault outside the application's calls, which the process loop answers itself.
            ServerLog.ConnectionFailed(_services.Log, _info.Id, e);
            close = new ConnectionClose(CloseReason.Failed, e.Message);
        }

        if (tls is not null)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
        }

        if (_stream is not null)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }

        _socket.Dispose();
        _receiveCancellation.Dispose();
        _services.Closed(_info, _aborted?.Value ?? close);
    }

    /// <summary>
    /// Stops reading new input: what the kernel already holds is still read and answered, a frame cut short is
    /// answered with <c>shutting_down</c>, then the connection closes.
    /// </summary>
    public void BeginShutdown()
    {
        MarkShuttingDown();
        try
        {
            // Wakes a pending receive; queued bytes are still returned before the end-of-stream.
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Not connected any more, or already closed: the connection is ending by itself.
        }
    }

    /// <summary>
    /// Any thread: the process loop calls the application again. Through the thread pool, because the pipe's reader
    /// continues inline: cancelling the read here would run the loop, and its sends, on the caller's thread.
    /// </summary>
    public override void Wake() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);

    void IThreadPoolWorkItem.Execute()
    {
        try
        {
            // Wakes a read under way, or makes the next one return at once: no wake is lost.
            _input.Reader.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
            // The connection has ended.
        }
    }

    /// <summary>Closes the socket at once, for connections that outlive the shutdown timeout.</summary>
    public void Abort() => Abort(new ConnectionClose(CloseReason.ShutdownTimeout));

    /// <summary>
    /// From the engine's sweep: cuts a slow consumer off at once (it would not read an error frame), and wakes the
    /// process loop of a connection whose input looks overdue; the loop, which owns the connection, decides. Any thread.
    /// </summary>
    public void CheckTimeouts(long now)
    {
        if (Check(now, applicationBusy: Volatile.Read(ref _busy) != 0) is not ConnectionClose due)
        {
            return;
        }

        if (due.Reason == CloseReason.SlowConsumer)
        {
            Abort(due);
            return;
        }

        if (due.Reason == CloseReason.IdleTimeout && HasBytesWaiting())
        {
            return;
        }

        try
        {
            _input.Reader.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
            // The connection is ending.
        }
    }

    private void Abort(ConnectionClose close)
    {
        if (Interlocked.CompareExchange(ref _aborted, new StrongBox<ConnectionClose>(close), null) is not null)
        {
            return;
        }

        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing left to abort.
        }

        _socket.Dispose();
        _application?.Abandon();
    }

    private async Task<ConnectionClose> ProcessLoopAsync(ConnectionApplication application, PipeWriter output)
    {
        PipeReader reader = _input.Reader;
        while (true)
        {
            Volatile.Write(ref _busy, 0);
            ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
            Volatile.Write(ref _busy, 1);
            ReadOnlySequence<byte> buffer = result.Buffer;
            ProcessStatus status;
            while ((status = application.Process(ref buffer, this)) is ProcessStatus.Pending or ProcessStatus.Paused)
            {
                if (status == ProcessStatus.Paused)
                {
                    // Far enough ahead of the client: no more decoding, and no more reading, until it takes the output.
                    if (!await SendAsync(output).ConfigureAwait(false))
                    {
                        return new ConnectionClose(CloseReason.SendFailed, "output closed");
                    }

                    continue;
                }

                _info.Stats.SetState(ConnectionState.Processing);
                await application.PendingWork!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                OnWorkCompleted();
            }

            bool unconsumed = !buffer.IsEmpty;
            reader.AdvanceTo(buffer.Start, buffer.End);
            AfterProcess(status, application.GetProgress(unconsumed));

            if (status == ProcessStatus.Close)
            {
                await SendAsync(output).ConfigureAwait(false);
                return ConnectionClose.Refused(application.CloseError);
            }

            // The sweep woke us: check for ourselves, as bytes may have come in meanwhile.
            if (result.IsCanceled && !result.IsCompleted &&
                CheckInput(Environment.TickCount64) is ConnectionClose due &&
                (due.Reason != CloseReason.IdleTimeout || !HasBytesWaiting()))
            {
                CutShort(application, due.Reason);
                await SendAsync(output).ConfigureAwait(false);
                return due;
            }

            if (result.IsCompleted && !_reset && application.AnswersOwed is Task owed)
            {
                // Answers still to come for what was received go out before the close; the completed pipe gives
                // what is left of the input back at once.
                _info.Stats.SetState(ConnectionState.Processing);
                if (output.UnflushedBytes > 0 && !await SendAsync(output).ConfigureAwait(false))
                {
                    return new ConnectionClose(CloseReason.SendFailed, "output closed");
                }

                await owed.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (_aborted is not null)
                {
                    return _aborted.Value;
                }

                OnWorkCompleted();
                continue;
            }

            if (result.IsCompleted)
            {
                var ended = new ConnectionClose(IsShuttingDown ? CloseReason.ServerShutdown : CloseReason.ClosedByPeer);
                CutShort(application, ended.Reason);
                await SendAsync(output).ConfigureAwait(false);
                return ended;
            }

            if (output.UnflushedBytes > 0 && !await SendAsync(output).ConfigureAwait(false))
            {
                return new ConnectionClose(CloseReason.SendFailed, "output closed");
            }

            _info.Stats.SetState(WaitingState(unconsumed));
            if (!unconsumed && Progress == MessageProgress.None)
            {
                application.ReleaseBuffers();
            }
        }
    }

    /// <summary>
    /// Flushes what the application wrote, watched by the sweep for a client that does not take it; false when the
    /// output is closed. <see cref="SocketOutput"/> (<see cref="SendCounter"/> under TLS) counts the bytes as the
    /// socket takes them.
    /// </summary>
    private async ValueTask<bool> SendAsync(PipeWriter output)
    {
        if (output.UnflushedBytes > 0)
        {
            _info.Stats.SetState(ConnectionState.Writing);
            OnSendWaiting();
        }

        FlushResult flushed = await output.FlushAsync().ConfigureAwait(false);
        OnDrained();
        return !flushed.IsCompleted;
    }
}
