using System.Buffers;
using Framewire.Engines.Internal.Connections;

namespace Framewire.Engines;

/// <summary>
/// Where a <see cref="ConnectionApplication"/> writes what its connection sends, and how far ahead of its client it
/// may get: the read-ahead limits (<see cref="MessageServerOptions.MaxInFlight"/> messages or
/// <see cref="MessageServerOptions.SendHighWater"/> bytes not yet taken by the client) are counted here, for every
/// engine and application alike. One per connection; use it only within the call that gave it. Only the library
/// derives from it: the connection's policy is its output, so that a connection costs one object for both.
/// </summary>
public abstract class ConnectionOutput : IBufferWriter<byte>
{
    private protected readonly ConnectionLimits _limits;
    private protected readonly ConnectionStats _stats;
    private IBufferWriter<byte>? _target;

    // Each has one writer, the thread that runs the application; the engine's sweep reads them from its own thread.
    private long _written;
    private int _unsentMessages;

    private protected ConnectionOutput(ConnectionLimits limits, ConnectionStats stats)
    {
        _limits = limits;
        _stats = stats;
    }

    /// <summary>
    /// True when the connection is as far ahead of its client as the limits allow: stop taking requests and return
    /// <see cref="ProcessStatus.Paused"/>; the engine calls again once the client has caught up.
    /// </summary>
    public bool IsFull => _unsentMessages >= _limits.MaxInFlight || Unsent >= _limits.SendHighWater;

    /// <summary>Bytes written and not yet taken by the socket (or by TLS, which sends them).</summary>
    internal long Unsent => Volatile.Read(ref _written) - _stats.BytesSent;

    /// <summary>The connection's <see cref="Apps.ConnectionInfo.Id"/>, for the log of an application shared by every connection.</summary>
    internal long ConnectionId => _stats.Id;

    /// <summary>Whole messages written since the client last took all of the output.</summary>
    internal int UnsentMessages => Volatile.Read(ref _unsentMessages);

    /// <summary>The engine's own buffer or pipe, set once the connection's transport is known.</summary>
    internal IBufferWriter<byte> Target
    {
        set => _target = value;
    }

    /// <summary>The target, null until it is set or made: an engine that made it reads it back here rather than keep it twice.</summary>
    private protected IBufferWriter<byte>? CurrentTarget => _target;

    /// <summary>
    /// Makes the target at the first write, for an engine that sets none up front: a connection that never writes
    /// (or sends everything without writing here) then holds no buffer object at all.
    /// </summary>
    private protected virtual IBufferWriter<byte> CreateTarget() => throw new InvalidOperationException("The connection's output has no target.");

    /// <summary>Marks the end of one message (a response): what <see cref="MessageServerOptions.MaxInFlight"/> counts.</summary>
    public void CompleteMessage() => Volatile.Write(ref _unsentMessages, _unsentMessages + 1);

    /// <inheritdoc/>
    public void Advance(int count)
    {
        (_target ??= CreateTarget()).Advance(count);
        Volatile.Write(ref _written, _written + count);
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0) => (_target ??= CreateTarget()).GetMemory(sizeHint);

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0) => (_target ??= CreateTarget()).GetSpan(sizeHint);

    /// <summary>
    /// Writes bytes that came from the connection's own input, for a handler that echoes them. An engine that can may
    /// send them straight from its read buffer when nothing is queued before them, which spares the copy; what the
    /// socket does not take is copied into the output as any write is.
    /// </summary>
    internal virtual void WriteReceived(ReadOnlySpan<byte> bytes) => this.Write(bytes);

    /// <summary>Counts bytes the engine sent without writing them here first, so that <see cref="Unsent"/> stays true.</summary>
    private protected void CountSentDirectly(int count)
    {
        CountQueuedDirectly(count);
        _stats.AddBytesSent(count);
    }

    /// <summary>
    /// Counts bytes the engine queued to send from where they were read, without writing them here: they are unsent
    /// until the engine counts them sent in the connection's statistics.
    /// </summary>
    private protected void CountQueuedDirectly(int count) => Volatile.Write(ref _written, _written + count);

    /// <summary>The client has taken everything written: read-ahead starts over.</summary>
    private protected void ResetMessages() => Volatile.Write(ref _unsentMessages, 0);
}
