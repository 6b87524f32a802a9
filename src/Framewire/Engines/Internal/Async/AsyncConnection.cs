using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Framewire.Apps;
using Framewire.Engines.Internal.Connections;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Async;

/// <summary>
/// One accepted socket on the async engine: a receive loop fills an input <see cref="Pipe"/>; the process loop runs
/// the application on it and writes to a <see cref="PipeWriter"/> over the socket, flushing once per batch of
/// received bytes so pipelined requests share a send. Before that, a connection from a trusted proxy must deliver
/// its PROXY header, and a TLS server completes the handshake, both within the handshake timeout. Timeouts, limits
/// and close reasons are the <see cref="ConnectionPolicy"/>'s; this class only moves bytes.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "RunAsync disposes what the connection owns when it ends.")]
internal sealed class AsyncConnection
{
    // The pipe's segment size; also the smallest receive, so one receive fits a typical burst of small frames.
    private const int MinimumReceiveSize = 4096;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Pipe _input;
    private readonly ConnectionServices _services;
    private readonly ConnectionPolicy _policy;
    private readonly SslServerAuthenticationOptions? _tlsOptions;
    private readonly bool _proxyRequired;
    private readonly bool _waitForData;
    private readonly CancellationTokenSource _receiveCancellation = new();
    private ConnectionInfo _info;

    // 1 while the process loop works on input (pending work or a send in flight): the sweep leaves its input alone.
    private int _busy;

    // The receive loop saw the peer go (a reset, or its FIN while the server was not stopping): nothing to linger for.
    private bool _peerGone;

    // Set once, by the sweep or the shutdown timeout, just before the socket is aborted: the close that caused it.
    private int _abortClaimed;
    private ConnectionClose? _aborted;

    public AsyncConnection(Socket socket, ConnectionInfo info, ConnectionServices services, MessageServerOptions options, SslServerAuthenticationOptions? tlsOptions)
    {
        _socket = socket;
        _info = info;
        _services = services;
        _policy = new ConnectionPolicy(services.Limits, info.Stats);
        _tlsOptions = tlsOptions;
        _proxyRequired = services.RequiresProxyHeader(info.RemoteEndPoint);
        _waitForData = options.WaitForDataBeforeAllocatingBuffer;
        _stream = new NetworkStream(socket, ownsSocket: false);
        if (_proxyRequired || tlsOptions is not null)
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
        ConnectionClose close;
        try
        {
            close = await ServeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A fault outside the application's calls (which ServeAsync answers): the socket is closed here instead.
            ServerLog.ConnectionFailed(_services.Log, _info.Id, e);
            close = new ConnectionClose(CloseReason.Failed, e.Message);
            _socket.Dispose();
        }

        _services.Closed(_info, _aborted ?? close);
    }

    /// <summary>
    /// Stops reading new input: what the kernel already holds is still read and answered, a frame cut short is
    /// answered with <c>shutting_down</c>, then the connection closes.
    /// </summary>
    public void BeginShutdown()
    {
        _policy.BeginShutdown();
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

    /// <summary>Closes the socket at once, for connections that outlive the shutdown timeout.</summary>
    public void Abort() => Abort(new ConnectionClose(CloseReason.ShutdownTimeout));

    /// <summary>
    /// From the engine's sweep: cuts a slow consumer off at once (it would not read an error frame), and wakes the
    /// process loop of a connection whose input looks overdue; the loop, which owns the connection, decides. Any thread.
    /// </summary>
    public void CheckTimeouts(long now)
    {
        if (_policy.Check(now, applicationBusy: Volatile.Read(ref _busy) != 0) is not ConnectionClose due)
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
        if (Interlocked.Exchange(ref _abortClaimed, 1) != 0)
        {
            return;
        }

        _aborted = close;
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing left to abort.
        }

        _socket.Dispose();
    }

    private async Task<ConnectionClose> ServeAsync()
    {
        (SslStream? tls, ConnectionClose? refusal) = await EstablishAsync().ConfigureAwait(false);
        if (refusal is not null)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            _socket.Dispose();
            _receiveCancellation.Dispose();
            return refusal.Value;
        }

        // A slow handshake is the handshake timeout's business; idleness counts from here.
        _policy.Restart();
        _info.Stats.SetState(ConnectionState.Idle);
        ConnectionApplication application = _services.CreateApplication(_info);
        PipeWriter output = PipeWriter.Create(new SendCounter(tls ?? (Stream)_stream, _info.Stats), new StreamPipeWriterOptions(pool: MemoryPool<byte>.Shared, minimumBufferSize: MinimumReceiveSize, leaveOpen: true));
        _policy.Output.Target = output;
        Task receiving = ReceiveLoopAsync(tls);
        ConnectionClose close;
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
            // After a failed send, completing with the failure drops what is left instead of trying to send it again.
            await output.CompleteAsync(sendFailure).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // Completing flushes what a failed send left behind, and fails again on a peer that reset; the socket
            // must still be closed below, not left to the finalizer.
        }

        application.ReleaseBuffers();
        if (close.ClosesFirst && !_peerGone && _aborted is null)
        {
            await LingerAsync(tls).ConfigureAwait(false);
        }

        if (tls is not null)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        _receiveCancellation.Dispose();
        return close;
    }

    /// <summary>
    /// True when the kernel holds bytes the receive loop has not taken yet: the peer is not idle, the thread pool is
    /// just late to run the receive. Asked only of connections that look idle.
    /// </summary>
    private bool HasBytesWaiting()
    {
        try
        {
            return _socket.Available > 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private async Task<(SslStream? Tls, ConnectionClose? Refusal)> EstablishAsync()
    {
        if (!_proxyRequired && _tlsOptions is null)
        {
            return (null, null);
        }

        using var timeout = new CancellationTokenSource(_services.HandshakeTimeout);
        SslStream? tls = null;
        bool proxyStep = _proxyRequired;
        try
        {
            byte[] following = [];
            if (_proxyRequired)
            {
                ProxyHeaderRead read = await ProxyHeaderReader.ReadAsync(_socket, _waitForData, timeout.Token).ConfigureAwait(false);
                if (read.Error is not null)
                {
                    return (null, ConnectionServices.ProxyHeaderRefused(read.Error));
                }

                _info = _services.AfterProxyHeader(_info, read.Header);
                following = read.FollowingBytes;
                proxyStep = false;
            }

            if (_tlsOptions is null)
            {
                if (following.Length > 0)
                {
                    // Well under the pipe's pause threshold, so the flush completes without a reader.
                    await _input.Writer.WriteAsync(following).ConfigureAwait(false);
                }

                return (null, null);
            }

            tls = new SslStream(following.Length > 0 ? new PrefixedStream(following, _stream) : _stream, leaveInnerStreamOpen: true);
            await tls.AuthenticateAsServerAsync(_tlsOptions, timeout.Token).ConfigureAwait(false);
            if (_services.Log.IsEnabled(LogLevel.Debug))
            {
                ServerLog.TlsEstablished(_services.Log, _info.Id, tls.SslProtocol.ToString(), tls.NegotiatedCipherSuite.ToString());
            }

            return (tls, null);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or AuthenticationException or SocketException or ObjectDisposedException)
        {
            if (tls is not null)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
            }

            bool late = timeout.IsCancellationRequested;
            return (null, proxyStep
                ? ConnectionServices.ProxyHeaderRefused(late ? _services.HandshakeLate("PROXY header") : "PROXY header failed: " + e.Message)
                : new ConnectionClose(CloseReason.HandshakeFailed, late ? _services.HandshakeLate("TLS handshake") : "TLS handshake failed: " + e.Message));
        }
    }

    private async Task<ConnectionClose> ProcessLoopAsync(ConnectionApplication application, PipeWriter output)
    {
        PipeReader reader = _input.Reader;
        ConnectionOutput applicationOutput = _policy.Output;
        while (true)
        {
            Volatile.Write(ref _busy, 0);
            ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
            Volatile.Write(ref _busy, 1);
            ReadOnlySequence<byte> buffer = result.Buffer;
            ProcessStatus status;
            while ((status = application.Process(ref buffer, applicationOutput)) is ProcessStatus.Pending or ProcessStatus.Paused)
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
                _policy.OnWorkCompleted();
            }

            bool unconsumed = !buffer.IsEmpty;
            reader.AdvanceTo(buffer.Start, buffer.End);
            _policy.AfterProcess(status, application.GetProgress(unconsumed));

            if (status == ProcessStatus.Close)
            {
                await SendAsync(output).ConfigureAwait(false);
                return ConnectionClose.Refused(application.CloseError);
            }

            // The sweep woke us: check for ourselves, as bytes may have come in meanwhile.
            if (result.IsCanceled && !result.IsCompleted &&
                _policy.CheckInput(Environment.TickCount64) is ConnectionClose due &&
                (due.Reason != CloseReason.IdleTimeout || !HasBytesWaiting()))
            {
                _policy.CutShort(application, due.Reason);
                await SendAsync(output).ConfigureAwait(false);
                return due;
            }

            if (result.IsCompleted)
            {
                var ended = new ConnectionClose(_policy.IsShuttingDown ? CloseReason.ServerShutdown : CloseReason.ClosedByPeer);
                _policy.CutShort(application, ended.Reason);
                await SendAsync(output).ConfigureAwait(false);
                return ended;
            }

            if (output.UnflushedBytes > 0 && !await SendAsync(output).ConfigureAwait(false))
            {
                return new ConnectionClose(CloseReason.SendFailed, "output closed");
            }

            _info.Stats.SetState(_policy.WaitingState(unconsumed));
            if (!unconsumed && _policy.Progress == MessageProgress.None)
            {
                application.ReleaseBuffers();
            }
        }
    }

    /// <summary>
    /// Flushes what the application wrote, watched by the sweep for a client that does not take it; false when the
    /// output is closed. <see cref="SendCounter"/> counts the bytes as the socket takes them.
    /// </summary>
    private async ValueTask<bool> SendAsync(PipeWriter output)
    {
        if (output.UnflushedBytes > 0)
        {
            _info.Stats.SetState(ConnectionState.Writing);
            _policy.OnSendWaiting();
        }

        FlushResult flushed = await output.FlushAsync().ConfigureAwait(false);
        _policy.OnDrained();
        return !flushed.IsCompleted;
    }

    private async Task ReceiveLoopAsync(SslStream? tls)
    {
        PipeWriter writer = _input.Writer;
        CancellationToken cancellation = _receiveCancellation.Token;
        try
        {
            while (true)
            {
                if (_waitForData)
                {
                    // SslStream passes a zero-byte read down to the socket when it has no decrypted bytes left.
                    _ = tls is null
                        ? await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellation).ConfigureAwait(false)
                        : await tls.ReadAsync(Memory<byte>.Empty, cancellation).ConfigureAwait(false);
                }

                Memory<byte> memory = writer.GetMemory(MinimumReceiveSize);
                int received = tls is null
                    ? await _socket.ReceiveAsync(memory, SocketFlags.None, cancellation).ConfigureAwait(false)
                    : await tls.ReadAsync(memory, cancellation).ConfigureAwait(false);
                if (received == 0)
                {
                    _peerGone = !_policy.IsShuttingDown;
                    break;
                }

                _policy.OnReceived(received);
                writer.Advance(received);
                FlushResult flushed = await writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The process loop is done with this connection.
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown)
        {
            _peerGone = true;
        }
        catch (Exception e) when (e is IOException or AuthenticationException)
        {
            // TLS: the peer reset, broke the record layer, or tried to renegotiate; nothing it sends can be trusted.
            _peerGone = true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The socket failed or was aborted; the process loop sees the end of input and closes.
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends FIN and discards what the peer still sends for a short while. Closing with unread bytes in the
    /// receive queue would make the kernel send a reset, and the peer could lose the error frame we just sent.
    /// </summary>
    private async Task LingerAsync(SslStream? tls)
    {
        try
        {
            if (tls is not null)
            {
                // close_notify first, so the peer can tell our close from a truncation attack.
                await tls.ShutdownAsync().ConfigureAwait(false);
            }

            _socket.Shutdown(SocketShutdown.Send);
            using var timeout = new CancellationTokenSource(_services.LingerTimeout);
            byte[] sink = ArrayPool<byte>.Shared.Rent(MinimumReceiveSize);
            try
            {
                while (await _socket.ReceiveAsync(sink, SocketFlags.None, timeout.Token).ConfigureAwait(false) > 0)
                {
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(sink);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer reset, stopped sending, or took too long: close either way.
        }
    }
}
