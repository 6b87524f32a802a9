using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading.Channels;
using Framewire.Client.Internal;
using Framewire.Protocol;

namespace Framewire.Client;

/// <summary>
/// A node's long-lived connection to one named peer, for actor-style services: frames go into a bounded outbound
/// queue and one sender writes them in order; the link connects on <see cref="Start"/>, and whenever the connection
/// drops it reconnects with backoff, until it is disposed. <see cref="TrySend"/> is fire-and-forget (the peer's answer
/// is read and dropped); <see cref="RequestAsync"/> waits for the answer, within the request timeout.
/// </summary>
/// <remarks>
/// Frames queued while the link is down wait for the next connection. A frame written to a connection that then
/// drops is not sent again: the peer may or may not have processed it, so a request whose answer was lost fails
/// with <see cref="IOException"/>, and only the caller can tell whether sending it again is safe.
/// </remarks>
public sealed class PeerLink : IAsyncDisposable
{
    private readonly Channel<Outbound> _queue;
    private readonly CancellationTokenSource _closing = new();
    private readonly MessageClientOptions _connect;
    private readonly RetryPolicy _reconnect;
    private readonly TimeSpan _requestTimeout;
    private readonly string? _host;
    private readonly PeerMetrics _metrics;
    private Task? _run;
    private int _state;
    private int _disposed;
    private int _queued;
    private long _connectedSince;
    private long _reconnects;
    private long _sent;
    private long _failed;
    private volatile string? _lastError;

    /// <summary>Creates a link; nothing is connected before <see cref="Start"/>.</summary>
    /// <exception cref="OptionOutOfRangeException">An option is out of range (<see cref="PeerLinkOptions.Validate"/>).</exception>
    /// <exception cref="ArgumentException">The host cannot be resolved.</exception>
    public PeerLink(PeerLinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Name = options.Name;
        RemoteEndPoint = options.ResolveEndPoint();
        _host = options.EndPoint is null ? options.Host : null;
        _reconnect = options.Reconnect;
        _requestTimeout = options.RequestTimeout;
        _connect = new MessageClientOptions { ConnectTimeout = options.ConnectTimeout, Limits = options.Limits, Tls = options.Tls };
        _metrics = new PeerMetrics(Name);
        _queue = Channel.CreateBounded<Outbound>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>The peer's name.</summary>
    public string Name { get; }

    /// <summary>The peer's address.</summary>
    public EndPoint RemoteEndPoint { get; }

    /// <summary>What the link is doing now.</summary>
    public PeerLinkState State => (PeerLinkState)Volatile.Read(ref _state);

    /// <summary>Starts connecting and sending, in the background.</summary>
    /// <exception cref="InvalidOperationException">The link has already been started.</exception>
    /// <exception cref="ObjectDisposedException">The link has been disposed.</exception>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.CompareExchange(ref _state, (int)PeerLinkState.Connecting, (int)PeerLinkState.NotStarted) != (int)PeerLinkState.NotStarted)
        {
            throw new InvalidOperationException("The link has already been started.");
        }

        _run = Task.Run(RunAsync);
    }

    /// <summary>
    /// Queues one frame to send, without waiting and without an answer (the peer's answer is read and dropped).
    /// The frame is encoded now, so <paramref name="content"/> may be reused at once. False when the outbound queue is
    /// full or the link is disposed: the frame was not queued.
    /// </summary>
    public bool TrySend(string contentType, string contentEncoding, ReadOnlyMemory<byte> content, IReadOnlyList<HeaderField>? customHeaders = null)
    {
        Outbound frame = Outbound.Encode(contentType, contentEncoding, content.Span, customHeaders, waiter: null);
        Interlocked.Increment(ref _queued);
        if (_queue.Writer.TryWrite(frame))
        {
            _metrics.Queued(1);
            return true;
        }

        Interlocked.Decrement(ref _queued);
        frame.Return();
        Fail(Volatile.Read(ref _disposed) != 0 ? "closed" : "queue_full");
        return false;
    }

    /// <summary>
    /// Sends one frame and waits for the peer's answer, at most the request timeout from now, time in the queue
    /// included; a full queue is waited on within that time.
    /// </summary>
    /// <exception cref="TimeoutException">No answer within the request timeout.</exception>
    /// <exception cref="IOException">The connection dropped after the frame was written and before its answer: the peer may or may not have processed it.</exception>
    /// <exception cref="ObjectDisposedException">The link was disposed before the frame was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async Task<Response> RequestAsync(string contentType, string contentEncoding, ReadOnlyMemory<byte> content, IReadOnlyList<HeaderField>? customHeaders = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        long start = PeerMetrics.DurationEnabled ? Stopwatch.GetTimestamp() : 0;
        var waiter = new TaskCompletionSource<Response>(TaskCreationOptions.RunContinuationsAsynchronously);
        Outbound frame = Outbound.Encode(contentType, contentEncoding, content.Span, customHeaders, waiter);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        Interlocked.Increment(ref _queued);
        try
        {
            await _queue.Writer.WriteAsync(frame, timeout.Token).ConfigureAwait(false);
            _metrics.Queued(1);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            Interlocked.Decrement(ref _queued);
            frame.Return();
            cancellationToken.ThrowIfCancellationRequested();
            if (e is ChannelClosedException)
            {
                Fail("closed");
                throw new ObjectDisposedException(nameof(PeerLink), $"The link to peer '{Name}' was disposed.");
            }

            Fail("timeout");
            throw TimedOut();
        }

        try
        {
            Response response = await waiter.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            _metrics.RequestFinished(start);
            return response;
        }
        catch (OperationCanceledException)
        {
            // Abandoned: a frame still queued is not sent, and an answer still to come is dropped.
            waiter.TrySetCanceled(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            Fail("timeout");
            throw TimedOut();
        }
        catch (IOException e)
        {
            Fail("dropped");
            throw new IOException(
                $"The link to peer '{Name}' ({Endpoints.Format(RemoteEndPoint)}) dropped before the answer: the request may or may not have been processed. {e.Message}",
                e);
        }
    }

    /// <summary>The link's state and counters now. Safe from any thread at any time.</summary>
    public PeerLinkSnapshot GetSnapshot()
    {
        long since = Interlocked.Read(ref _connectedSince);
        return new PeerLinkSnapshot(Name, RemoteEndPoint, State)
        {
            ConnectedSince = since == 0 ? null : new DateTimeOffset(since, TimeSpan.Zero),
            Reconnects = Interlocked.Read(ref _reconnects),
            Queued = Math.Max(0, Volatile.Read(ref _queued)),
            Sent = Interlocked.Read(ref _sent),
            Failed = Interlocked.Read(ref _failed),
            LastError = _lastError,
        };
    }

    /// <summary>
    /// Stops the link: closes the connection (requests waiting for answers fail with <see cref="IOException"/>) and
    /// fails what is still queued (requests with <see cref="ObjectDisposedException"/>). Idempotent.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _closing.CancelAsync().ConfigureAwait(false);
        if (_run is not null)
        {
            await _run.ConfigureAwait(false);
        }

        while (_queue.Reader.TryRead(out Outbound left))
        {
            Unqueued();
            Abandon(left);
        }

        Volatile.Write(ref _state, (int)PeerLinkState.Closed);
        _closing.Dispose();
    }

    private TimeoutException TimedOut() =>
        new($"No answer from peer '{Name}' ({Endpoints.Format(RemoteEndPoint)}) within {_requestTimeout.TotalSeconds:0.###} s.");

    private void Fail(string reason)
    {
        Interlocked.Increment(ref _failed);
        _metrics.Failed(reason);
    }

    private void Unqueued()
    {
        Interlocked.Decrement(ref _queued);
        _metrics.Queued(-1);
    }

    /// <summary>A frame that will not be sent: the link is closing.</summary>
    private void Abandon(Outbound frame)
    {
        frame.Return();
        if (frame.Waiter is null || frame.Waiter.TrySetException(new ObjectDisposedException(nameof(PeerLink), $"The link to peer '{Name}' was disposed before the request was sent.")))
        {
            Fail("closed");
        }
    }

    private async Task RunAsync()
    {
        CancellationToken closing = _closing.Token;
        Outbound? carried = null;
        bool first = true;
        int attempt = 0;
        while (!closing.IsCancellationRequested)
        {
            Volatile.Write(ref _state, (int)PeerLinkState.Connecting);
            ClientConnection connection;
            try
            {
                connection = await ClientConnection.ConnectAsync(RemoteEndPoint, _host, _connect, closing).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (closing.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or SocketException or TimeoutException or AuthenticationException)
            {
                _lastError = e.Message;
                if (!await BackOffAsync(++attempt, closing).ConfigureAwait(false))
                {
                    break;
                }

                continue;
            }

            attempt = 0;
            Interlocked.Exchange(ref _connectedSince, DateTimeOffset.UtcNow.UtcTicks);
            if (!first)
            {
                Interlocked.Increment(ref _reconnects);
            }

            _metrics.Connected(first);
            first = false;
            Volatile.Write(ref _state, (int)PeerLinkState.Connected);
            try
            {
                carried = await PumpAsync(connection, carried, closing).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Exchange(ref _connectedSince, 0);
                _metrics.Disconnected();
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            if (!closing.IsCancellationRequested)
            {
                _lastError = connection.FailureException().Message;
                if (!await BackOffAsync(1, closing).ConfigureAwait(false))
                {
                    break;
                }
            }
        }

        if (carried is Outbound left)
        {
            Unqueued();
            Abandon(left);
        }
    }

    /// <summary>Waits before attempt number <paramref name="attempt"/>; false when the link is closing.</summary>
    private async Task<bool> BackOffAsync(int attempt, CancellationToken closing)
    {
        Volatile.Write(ref _state, (int)PeerLinkState.Disconnected);
        try
        {
            await Task.Delay(_reconnect.DelayBefore(attempt), closing).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends queued frames on <paramref name="connection"/> until it drops or the link closes; returns the frame it
    /// took and could not write (the connection had dropped before a byte of it went), for the next connection.
    /// </summary>
    private async Task<Outbound?> PumpAsync(ClientConnection connection, Outbound? carried, CancellationToken closing)
    {
        ChannelReader<Outbound> reader = _queue.Reader;
        while (!closing.IsCancellationRequested)
        {
            Outbound frame;
            if (carried is Outbound next)
            {
                frame = next;
                carried = null;
            }
            else if (!reader.TryRead(out frame))
            {
                // Idle: wait for a frame, or for the connection to drop, so that the link reconnects without one.
                ValueTask<bool> more = reader.WaitToReadAsync(closing);
                if (more.IsCompletedSuccessfully)
                {
                    if (!more.Result)
                    {
                        // Completed: the link is closing.
                        return null;
                    }

                    continue;
                }

                Task<bool> waiting = more.AsTask();
                if (await Task.WhenAny(waiting, connection.Completion).ConfigureAwait(false) != waiting
                    || !waiting.IsCompletedSuccessfully || !waiting.Result || connection.IsFailed)
                {
                    return null;
                }

                continue;
            }

            if (frame.Waiter is { Task.IsCompleted: true })
            {
                // Its request timed out in the queue.
                Unqueued();
                frame.Return();
                continue;
            }

            if (!await connection.WriteEncodedAsync(frame.Memory, frame.Waiter).ConfigureAwait(false))
            {
                return frame;
            }

            Unqueued();
            frame.Return();
            if (connection.IsFailed)
            {
                // The write failed: a request learns it from its answer's failure; a one-way frame is only counted.
                if (frame.Waiter is null)
                {
                    Fail("dropped");
                }

                return null;
            }

            Interlocked.Increment(ref _sent);
            _metrics.Sent();
        }

        return null;
    }

    /// <summary>A frame encoded into a pooled array, and who waits for its answer (nobody for a one-way frame).</summary>
    private readonly record struct Outbound(byte[] Buffer, int Length, TaskCompletionSource<Response>? Waiter)
    {
        public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

        public static Outbound Encode(string contentType, string contentEncoding, ReadOnlySpan<byte> content, IReadOnlyList<HeaderField>? customHeaders, TaskCompletionSource<Response>? waiter)
        {
            ArgumentNullException.ThrowIfNull(contentType);
            ArgumentNullException.ThrowIfNull(contentEncoding);
            byte[] buffer = FrameEncoder.Rent(contentType, contentEncoding, content, customHeaders, out int length);
            return new Outbound(buffer, length, waiter);
        }

        public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
    }
}
