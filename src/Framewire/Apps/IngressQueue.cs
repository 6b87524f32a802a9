using System.Collections.Concurrent;
using System.Threading.Channels;
using Framewire.Engines;

namespace Framewire.Apps;

/// <summary>
/// The pull model of the frame protocol, the tutorial's <c>ingress_queue</c>: a <see cref="MessageServer"/> made with
/// this queue decodes each request frame into an <see cref="IncomingMessage"/> and puts it here, and the node's own
/// thread takes messages when it is ready, answering each through its reply handle, now or later, from any thread.
/// </summary>
/// <remarks>
/// The queue is bounded: when it holds <see cref="Capacity"/> messages, a connection with a message to add stops
/// reading (backpressure, never dropping) and goes on when a message has been taken. Each connection also stops
/// reading while <see cref="MessageServerOptions.MaxInFlight"/> of its messages are unanswered or their answers unsent,
/// so one pipelining client cannot fill the queue alone. Answers leave in the order the connection's requests came.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "The tutorial's ingress_queue: a queue is what it is.")]
public sealed class IngressQueue
{
    private readonly Channel<IncomingMessage> _channel;

    // Messages whose content and answer have been handed back, for reuse: a message costs no allocation in steady
    // state. Bounded, so a burst does not keep its peak in memory.
    private readonly ConcurrentQueue<IncomingMessage> _spare = new();
    private readonly int _maxSpare;
    private int _spareCount;

    // One timeout source kept for the next tick, as long as no tick has fired it.
    private CancellationTokenSource? _spareTick;

    /// <summary>Creates a queue that holds at most <paramref name="capacity"/> messages.</summary>
    /// <exception cref="OptionOutOfRangeException"><paramref name="capacity"/> is less than 1.</exception>
    public IngressQueue(int capacity)
    {
        if (capacity < 1)
        {
            throw new OptionOutOfRangeException(nameof(capacity), capacity, "at least 1");
        }

        Capacity = capacity;

        // Room for what the queue holds plus a read-ahead's worth in the connections and the node's hands.
        _maxSpare = capacity + 256;
        _channel = Channel.CreateBounded<IncomingMessage>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,

            // A writer is an event loop: it must not run the node's continuation on its own thread.
            AllowSynchronousContinuations = false,
        });
    }

    /// <summary>The most messages the queue holds.</summary>
    public int Capacity { get; }

    /// <summary>The messages waiting in the queue now.</summary>
    public int Count => _channel.Reader.Count;

    /// <summary>Where the node takes its messages, for <c>await foreach</c> or a loop of its own.</summary>
    public ChannelReader<IncomingMessage> Reader => _channel.Reader;

    /// <summary>The server's side of the queue.</summary>
    internal ChannelWriter<IncomingMessage> Writer => _channel.Writer;

    /// <summary>
    /// Takes the next message, waiting at most <paramref name="tick"/>; null when the tick passes with none, like the
    /// tutorial's <c>select(..., NETWORK_TICK)</c>. A node runs its timers (election timeouts, heartbeats) between
    /// calls, on its own thread, and the server's network loops never wait for it. A message already queued is
    /// returned at once, without allocating.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tick"/> is negative (other than infinite) or longer than 24.8 days.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public ValueTask<IncomingMessage?> ReadAsync(TimeSpan tick, CancellationToken cancellationToken = default)
    {
        if (tick != Timeout.InfiniteTimeSpan && (tick < TimeSpan.Zero || tick.TotalMilliseconds > int.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(tick), tick, "The tick must be 0 s or more, at most 24.8 days, or infinite.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (_channel.Reader.TryRead(out IncomingMessage? message))
        {
            return new ValueTask<IncomingMessage?>(message);
        }

        return tick == TimeSpan.Zero ? default : WaitAsync(tick, cancellationToken);
    }

    /// <summary>A message to fill, reused when one is spare.</summary>
    internal IncomingMessage Rent()
    {
        if (_spare.TryDequeue(out IncomingMessage? message))
        {
            Interlocked.Decrement(ref _spareCount);
            return message;
        }

        return new IncomingMessage(this);
    }

    /// <summary>Takes back a message nobody holds any more; beyond the bound it is left to the collector.</summary>
    internal void Return(IncomingMessage message)
    {
        if (Interlocked.Increment(ref _spareCount) <= _maxSpare)
        {
            _spare.Enqueue(message);
            return;
        }

        Interlocked.Decrement(ref _spareCount);
    }

    private async ValueTask<IncomingMessage?> WaitAsync(TimeSpan tick, CancellationToken cancellationToken)
    {
        CancellationTokenSource timeout = Interlocked.Exchange(ref _spareTick, null) ?? new CancellationTokenSource();
        CancellationTokenRegistration link = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout)
            : default;
        timeout.CancelAfter(tick);
        try
        {
            while (await _channel.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
            {
                if (_channel.Reader.TryRead(out IncomingMessage? message))
                {
                    return message;
                }
            }

            return null;
        }
        catch (OperationCanceledException)
        {
            // Either the caller's token, which must say so, or the tick passed.
            cancellationToken.ThrowIfCancellationRequested();
            return null;
        }
        finally
        {
            await link.DisposeAsync().ConfigureAwait(false);
            if (timeout.TryReset())
            {
                _spareTick = timeout;
            }
            else
            {
                timeout.Dispose();
            }
        }
    }
}
