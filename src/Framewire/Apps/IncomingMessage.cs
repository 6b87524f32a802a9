using System.Buffers;
using System.Runtime.CompilerServices;
using Framewire.Engines.Internal;
using Framewire.Internal;
using Framewire.Protocol;
using Framewire.Protocol.Internal;

namespace Framewire.Apps;

/// <summary>
/// One request frame taken from an <see cref="IngressQueue"/>: its header, a copy of its content, the connection it
/// came on, and the handle that answers it. Answer it exactly once, with <see cref="Reply"/> or
/// <see cref="ReplyError(ErrorCode, string)"/>, from any thread and at any time; the answers of a connection leave in
/// the order its requests came, so one that is late holds back those after it. Then <see cref="Dispose"/> it.
/// </summary>
/// <remarks>
/// The server reuses messages: after <see cref="Dispose"/>, neither the message nor its <see cref="Content"/> may be
/// used. A message disposed unanswered is answered with <c>internal_error</c>, as a handler that does not answer is,
/// since every request frame gets exactly one response.
/// </remarks>
public sealed class IncomingMessage : IDisposable
{
    private const int Unanswered = 0;
    private const int Answering = 1;
    private const int Answered = 2;

    private readonly IngressQueue _queue;
    private readonly PooledBufferWriter _answer = new();
    private IngressApplication? _application;
    private ConnectionInfo? _connection;
    private byte[]? _content;
    private int _length;
    private ChecksumAlgorithm _checksum;
    private int _answerState;
    private int _disposed;

    // Two holders let go of a message: the node (Dispose) and the connection (its answer sent, or the connection
    // gone). The last one hands it back to the queue.
    private int _holders;

    internal IncomingMessage(IngressQueue queue)
    {
        _queue = queue;
    }

    /// <summary>The frame's header: content type, content encoding, length and custom headers.</summary>
    public FrameHeader Header { get; private set; }

    /// <summary>The frame's content, the message's own copy, valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Content => _content is null ? ReadOnlyMemory<byte>.Empty : _content.AsMemory(0, _length);

    /// <summary>The connection the frame came on: its number and the peer's address.</summary>
    public ConnectionInfo Connection => _connection ?? throw Disposed();

    /// <summary>True once the message has been answered.</summary>
    public bool HasReplied => Volatile.Read(ref _answerState) != Unanswered;

    /// <summary>The code of the error frame that answered the message; <see cref="ErrorCode.None"/> otherwise.</summary>
    internal ErrorCode ErrorAnswered { get; private set; }

    /// <summary>When the frame was decoded, for the request duration; 0 when nobody measures it.</summary>
    internal long ReceivedTimestamp { get; private set; }

    /// <summary>True once the answer is encoded and may be sent. Read on the connection's thread.</summary>
    internal bool IsAnswered => Volatile.Read(ref _answerState) == Answered;

    /// <summary>The encoded answer frame, once <see cref="IsAnswered"/>.</summary>
    internal ReadOnlySpan<byte> AnswerFrame => _answer.WrittenSpan;

    /// <summary>
    /// Answers with <paramref name="content"/>; the frame is encoded on the calling thread and sent by the connection
    /// in its turn. Returns false when the connection has closed, so the answer goes nowhere.
    /// </summary>
    /// <exception cref="InvalidOperationException">The message has already been answered.</exception>
    /// <exception cref="ObjectDisposedException">The message has been disposed.</exception>
    public bool Reply(string contentType, string contentEncoding, ReadOnlySpan<byte> content, IReadOnlyList<HeaderField>? customHeaders = null)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        ArgumentNullException.ThrowIfNull(contentEncoding);
        BeginAnswer();
        try
        {
            FrameEncoder.Write(_answer, contentType, contentEncoding, content, customHeaders, _checksum);
        }
        catch
        {
            // A header the protocol cannot carry: the message stays unanswered, to be answered again.
            _answer.Clear();
            Volatile.Write(ref _answerState, Unanswered);
            throw;
        }

        return Publish(ErrorCode.None);
    }

    /// <summary>Answers with an error frame; the connection stays open. Returns false when the connection has closed.</summary>
    /// <exception cref="InvalidOperationException">The message has already been answered.</exception>
    /// <exception cref="ObjectDisposedException">The message has been disposed.</exception>
    public bool ReplyError(ErrorCode code, string message) => ReplyError(new ProtocolError(code, message));

    /// <summary>Answers with an error frame; the connection stays open. Returns false when the connection has closed.</summary>
    /// <exception cref="InvalidOperationException">The message has already been answered.</exception>
    /// <exception cref="ObjectDisposedException">The message has been disposed.</exception>
    public bool ReplyError(ProtocolError error)
    {
        BeginAnswer();
        ErrorFrame.Write(_answer, error, _checksum);
        return Publish(error.Code);
    }

    /// <summary>
    /// Hands the content back; a message not answered yet is answered with <c>internal_error</c>. The message must not
    /// be used afterwards. Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _answerState, Answering, Unanswered) == Unanswered)
        {
            ErrorFrame.Write(_answer, new ProtocolError(ErrorCode.InternalError, "The message was disposed without an answer."), _checksum);
            Publish(ErrorCode.InternalError);
        }

        if (_content is not null)
        {
            ArrayPool<byte>.Shared.Return(_content);
            _content = null;
        }

        LetGo();
    }

    /// <summary>
    /// Answers with what a synchronous push-model handler writes for this message, run on the calling thread with a
    /// context the caller keeps: the benchmark's node answers searches as <see cref="SearchHandler"/> does.
    /// </summary>
    internal bool ReplyWith(IMessageHandler handler, MessageContext context)
    {
        BeginAnswer();
        context.Begin(new Frame(Header, new ReadOnlySequence<byte>(Content)), _answer);
        try
        {
            ValueTask handled = handler.HandleAsync(context, CancellationToken.None);
            if (!handled.IsCompleted)
            {
                handled.AsTask().GetAwaiter().GetResult();
            }
            else
            {
                handled.GetAwaiter().GetResult();
            }
        }
        catch (ProtocolException e) when (!context.HasResponded)
        {
            context.RespondError(e.Error);
        }

        if (!context.HasResponded)
        {
            context.RespondError(ErrorCode.InternalError, "The handler did not answer the request.");
        }

        ErrorCode error = context.ErrorResponded;
        context.End();
        return Publish(error);
    }

    /// <summary>
    /// Fills the message with a decoded frame, copying its content out of the receive buffer; its answers carry a
    /// <paramref name="checksum"/> of their content, the server's option (a queue may serve several servers).
    /// </summary>
    internal void Begin(IngressApplication application, ConnectionInfo connection, in Frame frame, long receivedTimestamp, ChecksumAlgorithm checksum)
    {
        _checksum = checksum;
        _application = application;
        _connection = connection;
        Header = frame.Header;
        _length = (int)frame.Content.Length;
        if (_length > 0)
        {
            _content = ArrayPool<byte>.Shared.Rent(_length);
            frame.Content.CopyTo(_content);
        }

        ReceivedTimestamp = receivedTimestamp;
        ErrorAnswered = ErrorCode.None;
        _answerState = Unanswered;
        _disposed = 0;
        _holders = 2;
    }

    /// <summary>
    /// Answers on the connection's thread, before the message reaches the queue, with an error frame, and lets go of it
    /// as the node would: the connection sends the answer in its turn. No wake: the connection is the caller.
    /// </summary>
    internal void Refuse(ProtocolError error)
    {
        BeginAnswer();
        ErrorFrame.Write(_answer, error, _checksum);
        ErrorAnswered = error.Code;
        Volatile.Write(ref _answerState, Answered);
        Dispose();
    }

    /// <summary>The connection has sent the answer, or is gone: it lets go of the message and its answer.</summary>
    internal void Sent()
    {
        _answer.Release();
        LetGo();
    }

    private void BeginAnswer()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw Disposed();
        }

        if (Interlocked.CompareExchange(ref _answerState, Answering, Unanswered) != Unanswered)
        {
            ThrowAnswered();
        }
    }

    private bool Publish(ErrorCode error)
    {
        ErrorAnswered = error;
        IngressApplication application = _application!;
        ConnectionInfo connection = _connection!;

        // Interlocked, not just volatile: the connection reads whether it must be woken only after this, and it
        // decides whether to wait only after publishing that it waits (IngressApplication.OnAnswered).
        Interlocked.Exchange(ref _answerState, Answered);
        application.OnAnswered();
        return !connection.Stats.IsClosed;
    }

    private void LetGo()
    {
        if (Interlocked.Decrement(ref _holders) != 0)
        {
            return;
        }

        _answer.Release();
        _application = null;
        _connection = null;
        Header = default;
        _length = 0;
        _queue.Return(this);
    }

    private ObjectDisposedException Disposed() => new(nameof(IncomingMessage), "The message has been disposed; the server reuses it.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowAnswered() => throw new InvalidOperationException("The message has already been answered.");
}
