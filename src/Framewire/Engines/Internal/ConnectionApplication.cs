using System.Buffers;
using Framewire.Protocol;

namespace Framewire.Engines.Internal;

/// <summary>
/// The per-connection application side of an engine: turns received bytes into bytes to send. Engines own the
/// sockets and buffers; protocols own framing and handlers, so every engine behaves the same.
/// </summary>
internal abstract class ConnectionApplication
{
    /// <summary>Why the protocol asked to close, when it did.</summary>
    public ProtocolError CloseReason { get; protected set; }

    /// <summary>True while the protocol holds part of a message (a header read, content awaited).</summary>
    public abstract bool HasPartialMessage { get; }

    /// <summary>Processes <paramref name="input"/>, leaving it sliced to what was not consumed.</summary>
    public abstract ProcessStatus Process(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output);

    /// <summary>
    /// The handler work that made <see cref="Process"/> return <see cref="ProcessStatus.Pending"/>; null otherwise.
    /// Until it completes, the handler owns the connection's output and the request's bytes: the engine must not
    /// touch either.
    /// </summary>
    public virtual Task? PendingTask => null;

    /// <summary>Finishes the request whose <see cref="PendingTask"/> has completed; then call <see cref="Process"/> again.</summary>
    public virtual void CompletePending()
    {
    }

    /// <summary>
    /// Called once when no more input will come, with what was left unconsumed. Writes an error frame when a
    /// message was cut off and the protocol has frames to write one in.
    /// </summary>
    public virtual void OnEndOfInput(bool hasUnconsumedInput, bool shuttingDown, IBufferWriter<byte> output)
    {
    }

    /// <summary>
    /// True when <paramref name="hasUnconsumedInput"/> is the start of a frame whose header is not complete yet:
    /// the time the frame timeout guards. Raw streams have no frames.
    /// </summary>
    public virtual bool IsAwaitingHeader(bool hasUnconsumedInput) => false;

    /// <summary>Called once when a frame header took longer than the frame timeout; writes the error frame, if any.</summary>
    public virtual void OnFrameTimeout(IBufferWriter<byte> output)
    {
    }

    /// <summary>Responses written since the output last drained; the engine's send limit spares a single one.</summary>
    public virtual int UnsentResponses => 0;

    /// <summary>Called when everything written to the output has been taken by the socket: read-ahead starts over.</summary>
    public virtual void OnOutputDrained()
    {
    }

    /// <summary>
    /// Called before <see cref="Process"/> by an engine that reads on while output is unsent, with how much still is:
    /// what the read-ahead limit counts on from.
    /// </summary>
    public virtual void OnOutputUnsent(long unsent)
    {
    }

    /// <summary>Called once when a frame's content arrived slower than the minimum data rate; writes the error frame, if any.</summary>
    public virtual void OnDataRateTooLow(IBufferWriter<byte> output)
    {
    }

    /// <summary>Returns pooled buffers while the connection is idle or closed.</summary>
    public virtual void ReleaseBuffers()
    {
    }
}
