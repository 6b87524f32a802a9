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
/// One accepted socket on the async engine: a receive loop fills an input <see cref="Pipe"/>; the process loop
/// decodes, handles and writes responses to a <see cref="PipeWriter"/> over the socket, flushing once per batch of
/// received bytes so pipelined requests share a send. Before that, a connection from a trusted proxy must deliver
/// its PROXY header, and a TLS server completes the handshake, both within the handshake timeout.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "RunAsync disposes what the connection owns when it ends.")]
internal sealed class AsyncConnection
{
    // The pipe's segment size; also the smallest receive, so one receive fits a typical burst of small frames.
    private const int MinimumReceiveSize = 4096;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Pipe _input;
    private readonly Func<ConnectionInfo, ConnectionApplication> _protocolFactory;
    private readonly SslServerAuthenticationOptions? _tlsOptions;
    private readonly bool _proxyRequired;
    private readonly MessageServerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _receiveCancellation = new();
    private readonly ConnectionLimits _limits;
    private readonly Engine _engine;
    private volatile bool _shuttingDown;

    // Environment.TickCount64 of the last received bytes, and of the first byte of a frame header still incomplete
    // (0: none); 1 while the process loop works on input (a handler or a send in flight). The engine's sweep reads them.
    private long _lastActivity;
    private long _headerSince;
    private int _busy;
    private bool _peerClosed;

    // The minimum data rate: bytes received so far, and since when a frame's content has been awaited with the count
    // at that moment; since when a flush has been under way, the bytes it holds, and the sent count when it began.
    // 0 for a since: no transfer under way. The process loop writes them, the sweep reads them.
    private long _received;
    private long _contentSince;
    private long _contentBase;
    private long _sendSince;
    private long _sendBase;
    private long _sendBytes;
    private int _sendResponses;
    private int _slowConsumer;

    // The sweep's window on the flush under way: since when, and the sent count then. Sweep only.
    private long _windowSince;
    private long _windowBase;

    public AsyncConnection(Socket socket, ConnectionInfo info, Func<ConnectionInfo, ConnectionApplication> protocolFactory, MessageServerOptions options, Engine engine, SslServerAuthenticationOptions? tlsOptions, ILogger logger)
    {
        _engine = engine;
        _limits = engine.Limits;
        _lastActivity = Environment.TickCount64;
        _socket = socket;
        Info = info;
        _protocolFactory = protocolFactory;
        _tlsOptions = tlsOptions;
        _proxyRequired = ProxyTrust.IsTrusted(options.TrustedProxies, info.RemoteEndPoint);
        _options = options;
        _logger = logger;
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

    /// <summary>The connection as handlers see it: after a PROXY header, with the client's addresses it gave.</summary>
    public ConnectionInfo Info { get; private set; }

    public async Task RunAsync()
    {
        (SslStream? tls, string? refusal) = await EstablishAsync().ConfigureAwait(false);
        if (refusal is not null)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            _socket.Dispose();
            _receiveCancellation.Dispose();
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                ServerLog.HandshakeRefused(_logger, Info.Id, Endpoints.Format(Info.RemoteEndPoint), refusal);
            }

            return;
        }

        // A slow handshake is the handshake timeout's business; idleness counts from here.
        Volatile.Write(ref _lastActivity, Environment.TickCount64);
        Info.Stats.SetState(ConnectionState.Idle);
        ConnectionApplication protocol = _protocolFactory(Info);
        PipeWriter output = PipeWriter.Create(new SendCounter(tls ?? (Stream)_stream, Info.Stats), new StreamPipeWriterOptions(pool: MemoryPool<byte>.Shared, minimumBufferSize: MinimumReceiveSize, leaveOpen: true));
        Task receiving = ReceiveLoopAsync(tls);
        string reason;
        bool closedByUs;
        Exception? sendFailure = null;
        try
        {
            (reason, closedByUs) = await ProcessLoopAsync(protocol, output).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            sendFailure = e;
            (reason, closedByUs) = (Volatile.Read(ref _slowConsumer) != 0 ? "slow consumer" : "send failed: " + e.Message, false);
        }
        catch (Exception e)
        {
            ServerLog.ConnectionFailed(_logger, Info.Id, e);
            (reason, closedByUs) = ("failed: " + e.Message, true);
        }

        Info.Stats.SetState(ConnectionState.Draining);
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
        protocol.ReleaseBuffers();

        if (closedByUs && !_peerClosed)
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
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.ConnectionClosed(_logger, Info.Id, reason);
        }
    }

    /// <summary>
    /// Stops reading new input: what the kernel already holds is still read and answered, a frame cut short is
    /// answered with <c>shutting_down</c>, then the connection closes.
    /// </summary>
    public void BeginShutdown()
    {
        _shuttingDown = true;
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
    public void Abort()
    {
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

    /// <summary>
    /// From the engine's sweep: wakes the process loop of a connection that looks idle or late with a frame header,
    /// and the loop, which owns the connection, decides. Any thread.
    /// </summary>
    public void CheckTimeouts(long now)
    {
        long sendSince = Volatile.Read(ref _sendSince);
        if (sendSince != 0)
        {
            long sentTotal = Info.Stats.BytesSent;
            if (_windowSince < sendSince)
            {
                // A new flush: the rate is measured from its start.
                _windowSince = sendSince;
                _windowBase = Volatile.Read(ref _sendBase);
            }

            if (Volatile.Read(ref _sendBytes) - (sentTotal - Volatile.Read(ref _sendBase)) > _limits.SendLimit && Volatile.Read(ref _sendResponses) > 1)
            {
                CloseSlowConsumer("unsent output passed the send limit");
            }
            else if (_limits.IsTooSlow(_windowSince, sentTotal - _windowBase, now))
            {
                CloseSlowConsumer("read slower than the minimum data rate");
            }
            else if (_limits.GracePeriodMs > 0 && now - _windowSince >= _limits.GracePeriodMs)
            {
                // The rate held over this window; the next one starts now, so an early burst cannot hide a stop.
                _windowSince = now;
                _windowBase = sentTotal;
            }

            return;
        }

        if (Volatile.Read(ref _busy) != 0)
        {
            return;
        }

        if (_limits.IsFrameExpired(Volatile.Read(ref _headerSince), now) ||
            _limits.IsTooSlow(Volatile.Read(ref _contentSince), Volatile.Read(ref _received) - Volatile.Read(ref _contentBase), now) ||
            (_limits.IsIdleExpired(Volatile.Read(ref _lastActivity), now) && !HasBytesWaiting()))
        {
            try
            {
                _input.Reader.CancelPendingRead();
            }
            catch (InvalidOperationException)
            {
                // The connection is ending.
            }
        }
    }

    /// <summary>A client that does not read would not read an error frame either: the connection is cut.</summary>
    private void CloseSlowConsumer(string detail)
    {
        if (Interlocked.Exchange(ref _slowConsumer, 1) == 0)
        {
            _engine.OnSlowConsumer(Info.Id, detail);
            _peerClosed = true;
            Abort();
        }
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

    private async Task<(SslStream? Tls, string? Refusal)> EstablishAsync()
    {
        if (!_proxyRequired && _tlsOptions is null)
        {
            return (null, null);
        }

        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout);
        SslStream? tls = null;
        try
        {
            byte[] following = [];
            if (_proxyRequired)
            {
                ProxyHeaderRead read = await ProxyHeaderReader.ReadAsync(_socket, _options.WaitForDataBeforeAllocatingBuffer, timeout.Token).ConfigureAwait(false);
                if (read.Error is not null)
                {
                    return (null, "PROXY header required from a trusted proxy: " + read.Error);
                }

                UseProxiedAddresses(read.Header);
                following = read.FollowingBytes;
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
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                ServerLog.TlsEstablished(_logger, Info.Id, tls.SslProtocol.ToString(), tls.NegotiatedCipherSuite.ToString());
            }

            return (tls, null);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or AuthenticationException or SocketException or ObjectDisposedException)
        {
            if (tls is not null)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
            }

            string step = _tlsOptions is null ? "PROXY header" : "handshake";
            return (null, timeout.IsCancellationRequested
                ? $"no {step} within {_options.HandshakeTimeout.TotalSeconds:0.###} s"
                : $"{step} failed: {e.Message}");
        }
    }

    private void UseProxiedAddresses(Proxy.ProxyHeader header)
    {
        if (header.Source is null)
        {
            return;
        }

        ConnectionInfo proxied = Info.WithEndPoints(header.Source, header.Destination ?? Info.LocalEndPoint);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            ServerLog.Proxied(_logger, Info.Id, Endpoints.Format(Info.RemoteEndPoint), Endpoints.Format(proxied.RemoteEndPoint));
        }

        Info = proxied;
    }

    private async Task<(string Reason, bool ClosedByUs)> ProcessLoopAsync(ConnectionApplication protocol, PipeWriter output)
    {
        PipeReader reader = _input.Reader;
        while (true)
        {
            Volatile.Write(ref _busy, 0);
            ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
            Volatile.Write(ref _busy, 1);
            ReadOnlySequence<byte> buffer = result.Buffer;
            ProcessStatus status;
            while ((status = protocol.Process(ref buffer, output)) is ProcessStatus.Pending or ProcessStatus.Paused)
            {
                if (status == ProcessStatus.Paused)
                {
                    // Far enough ahead of the client: no more decoding, and no more reading, until it takes the output.
                    if (!await SendWatchedAsync(protocol, output).ConfigureAwait(false))
                    {
                        return ("output closed", true);
                    }

                    continue;
                }

                Info.Stats.SetState(ConnectionState.Processing);
                await protocol.PendingTask!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                protocol.CompletePending();
            }

            bool unconsumed = !buffer.IsEmpty;
            reader.AdvanceTo(buffer.Start, buffer.End);

            if (status == ProcessStatus.Close)
            {
                await SendAsync(output).ConfigureAwait(false);
                return (protocol.CloseReason.ToString(), true);
            }

            if (!protocol.IsAwaitingHeader(unconsumed))
            {
                _headerSince = 0;
            }
            else if (_headerSince == 0)
            {
                Volatile.Write(ref _headerSince, Environment.TickCount64);
            }

            if (!protocol.HasPartialMessage)
            {
                Volatile.Write(ref _contentSince, 0);
            }
            else if (_contentSince == 0)
            {
                Volatile.Write(ref _contentBase, Volatile.Read(ref _received));
                Volatile.Write(ref _contentSince, Environment.TickCount64);
            }

            if (result.IsCanceled && !result.IsCompleted)
            {
                // The sweep woke us: check for ourselves, as bytes may have come in meanwhile.
                long now = Environment.TickCount64;
                if (_limits.IsFrameExpired(_headerSince, now))
                {
                    protocol.OnFrameTimeout(output);
                    await SendAsync(output).ConfigureAwait(false);
                    return ("frame timeout", true);
                }

                if (_limits.IsTooSlow(_contentSince, Volatile.Read(ref _received) - _contentBase, now))
                {
                    protocol.OnDataRateTooLow(output);
                    await SendAsync(output).ConfigureAwait(false);
                    return ("data rate too low", true);
                }

                if (output.UnflushedBytes == 0 && _limits.IsIdleExpired(Volatile.Read(ref _lastActivity), now) && !HasBytesWaiting())
                {
                    return ("idle timeout", true);
                }
            }

            if (result.IsCompleted)
            {
                bool shuttingDown = _shuttingDown;
                protocol.OnEndOfInput(unconsumed, shuttingDown, output);
                await SendAsync(output).ConfigureAwait(false);
                return shuttingDown ? ("server shutdown", true) : ("closed by peer", false);
            }

            if (output.UnflushedBytes > 0 && !await SendWatchedAsync(protocol, output).ConfigureAwait(false))
            {
                return ("output closed", true);
            }

            bool partial = unconsumed || protocol.HasPartialMessage;
            Info.Stats.SetState(_shuttingDown ? ConnectionState.Draining : partial ? ConnectionState.Reading : ConnectionState.Idle);
            if (!partial)
            {
                protocol.ReleaseBuffers();
            }
        }
    }

    /// <summary>Flushes the answers, watched by the sweep for a client that does not take them; false when the output is closed.</summary>
    private async ValueTask<bool> SendWatchedAsync(ConnectionApplication protocol, PipeWriter output)
    {
        Volatile.Write(ref _sendBytes, output.UnflushedBytes);
        Volatile.Write(ref _sendResponses, protocol.UnsentResponses);
        Volatile.Write(ref _sendBase, Info.Stats.BytesSent);
        Volatile.Write(ref _sendSince, Environment.TickCount64);
        FlushResult flushed = await SendAsync(output).ConfigureAwait(false);
        Volatile.Write(ref _sendSince, 0);
        protocol.OnOutputDrained();
        return !flushed.IsCompleted;
    }

    /// <summary>Flushes the answers written so far; <see cref="SendCounter"/> counts them as the socket takes them.</summary>
    private ValueTask<FlushResult> SendAsync(PipeWriter output)
    {
        if (output.UnflushedBytes > 0)
        {
            Info.Stats.SetState(ConnectionState.Writing);
        }

        return output.FlushAsync();
    }

    private async Task ReceiveLoopAsync(SslStream? tls)
    {
        PipeWriter writer = _input.Writer;
        CancellationToken cancellation = _receiveCancellation.Token;
        try
        {
            while (true)
            {
                if (_options.WaitForDataBeforeAllocatingBuffer)
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
                    _peerClosed = !_shuttingDown;
                    break;
                }

                Volatile.Write(ref _lastActivity, Environment.TickCount64);
                Info.Stats.AddBytesReceived(received);
                Volatile.Write(ref _received, _received + received);
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
            _peerClosed = true;
        }
        catch (Exception e) when (e is IOException or AuthenticationException)
        {
            // TLS: the peer reset, broke the record layer, or tried to renegotiate; nothing it sends can be trusted.
            _peerClosed = true;
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
            using var timeout = new CancellationTokenSource(_options.LingerTimeout);
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
