using System.Buffers;
using Framewire.Protocol;

namespace Framewire.Engines;

/// <summary>
/// What runs above an engine for one connection: it turns the bytes the connection receives into the bytes it sends.
/// The engine owns the socket, the buffers, the limits and the timeouts; the application owns the framing. The frame
/// protocol (<see cref="Apps.IMessageHandler"/>) and raw streams (<see cref="Apps.IStreamHandler"/>) are two; derive
/// from this class for a protocol of your own and give <see cref="MessageServer"/> a factory that makes one per
/// connection.
/// </summary>
/// <remarks>
/// An engine calls an application from one thread at a time, never concurrently, so it needs no locks. Every call
/// should return quickly: the selector engine runs many connections on one thread. Work that takes longer goes into
/// <see cref="PendingWork"/>.
/// </remarks>
public abstract class ConnectionApplication
{
    /// <summary>
    /// Processes <paramref name="input"/>, leaving it sliced to what was not consumed (offered again with the next bytes
    /// received), and writes what to send to <paramref name="output"/>. Before taking another message while input is
    /// left, check <see cref="ConnectionOutput.IsFull"/> and return <see cref="ProcessStatus.Paused"/> when it is.
    /// </summary>
    public abstract ProcessStatus Process(ref ReadOnlySequence<byte> input, ConnectionOutput output);

    /// <summary>
    /// Where the application is in the message it receives, after a call to <see cref="Process"/> that left
    /// <paramref name="hasUnconsumedInput"/> bytes unconsumed: <see cref="MessageProgress.None"/> (the default) for a
    /// protocol without messages.
    /// </summary>
    public virtual MessageProgress GetProgress(bool hasUnconsumedInput) => MessageProgress.None;

    /// <summary>
    /// The work that made <see cref="Process"/> return <see cref="ProcessStatus.Pending"/>; null otherwise. Until it
    /// completes it owns the connection's output and the input's bytes: the engine touches neither, then calls
    /// <see cref="Process"/> again, which finishes the work first.
    /// </summary>
    public virtual Task? PendingWork => null;

    /// <summary>
    /// At the end of the connection's input: what the application still has to answer, which the engine waits for and
    /// then calls <see cref="Process"/> again, until this is null. Null for an application that answers as it reads.
    /// </summary>
    internal virtual Task? AnswersOwed => null;

    /// <summary>
    /// The connection has been aborted, from any thread: work the application waits for that may never come (answers
    /// owed, room in a queue) ends now, and the next <see cref="Process"/> closes.
    /// </summary>
    internal virtual void Abandon()
    {
    }

    /// <summary>Why the application returned <see cref="ProcessStatus.Close"/>, for the log and the error counts.</summary>
    public ProtocolError CloseError { get; protected set; }

    /// <summary>
    /// Called once when the connection ends while a message is incomplete (<see cref="GetProgress"/> was not
    /// <see cref="MessageProgress.None"/>): the peer closed mid-message, the server is stopping, or the message
    /// broke the frame timeout or the minimum data rate. Write a last message saying so, if the protocol has one.
    /// </summary>
    public virtual void OnIncompleteMessage(CloseReason reason, ConnectionOutput output)
    {
    }

    /// <summary>Called while the connection is idle, and when it has closed: return pooled buffers.</summary>
    public virtual void ReleaseBuffers()
    {
    }
}
