using System.Buffers;
using System.Runtime.CompilerServices;
using Framewire.Internal;
using Framewire.Protocol;
using Framewire.Protocol.Internal;

namespace Framewire.Apps;

/// <summary>
/// One request and the means to answer it. The engine reuses one context per connection, so a handler must not
/// keep it, or the request's content, beyond the call it was given in.
/// </summary>
public sealed class MessageContext
{
    // Each made at its first use, and then kept for the connection's life: an idle connection may never need one,
    // and a search that is UTF-8 already never transcodes.
    private PooledBufferWriter? _content;
    private PooledBufferWriter? _transcoded;
    private PooledBufferWriter? _scratch;
    private readonly WorkerPool _workers;
    private readonly ChecksumAlgorithm _checksum;
    private IBufferWriter<byte>? _output;
    private bool _contentStarted;

    internal MessageContext(ConnectionInfo connection, WorkerPool workers, ChecksumAlgorithm checksum = ChecksumAlgorithm.None)
    {
        Connection = connection;
        _workers = workers;
        _checksum = checksum;
    }

    /// <summary>The request being handled.</summary>
    public Frame Request { get; private set; }

    /// <summary>The connection the request came on.</summary>
    public ConnectionInfo Connection { get; }

    /// <summary>True once a response has been written for the current request.</summary>
    public bool HasResponded { get; private set; }

    /// <summary>The code of the error frame that answered the current request; <see cref="ErrorCode.None"/> otherwise.</summary>
    internal ErrorCode ErrorResponded { get; private set; }

    /// <summary>
    /// A buffer for the response content when its size is not known up front: write the content here, then call
    /// <see cref="Respond(string, string, IReadOnlyList{HeaderField})"/>.
    /// </summary>
    public IBufferWriter<byte> ResponseContent
    {
        get
        {
            _content ??= new PooledBufferWriter();
            if (!_contentStarted)
            {
                _content.Clear();
                _contentStarted = true;
            }

            return _content;
        }
    }

    /// <summary>
    /// The request content as UTF-8 JSON text, decoded from the request's content-encoding when it is not UTF-8.
    /// </summary>
    /// <exception cref="ProtocolException"><c>unsupported_encoding</c> or <c>content_not_json</c>.</exception>
    public ReadOnlySequence<byte> GetJsonUtf8()
    {
        Frame request = Request;
        if (!TextContent.TryGetUtf8(request, ref _transcoded, out ReadOnlySequence<byte> utf8, out ProtocolError error))
        {
            throw new ProtocolException(error);
        }

        return utf8;
    }

    /// <summary>
    /// Runs CPU-bound work on the server's bounded worker pool instead of the I/O path, and completes when it is
    /// done; the work may read the request and answer it. Return the result from the handler: the engine keeps
    /// serving other connections meanwhile, and this connection's later requests wait their turn.
    /// </summary>
    /// <exception cref="ProtocolException"><c>server_busy</c> when the worker queue is full.</exception>
    public ValueTask RunCpuBoundAsync<TState>(TState state, Action<MessageContext, TState> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool queued = _workers.TrySchedule(() =>
        {
            try
            {
                work(this, state);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        if (!queued)
        {
            throw new ProtocolException(ErrorCode.ServerBusy, "Every worker is busy; try again later.");
        }

        return new ValueTask(done.Task);
    }

    /// <summary>
    /// An empty buffer for a handler to build text in before it writes the response, kept with the connection so
    /// that building an answer rents nothing per message.
    /// </summary>
    internal PooledBufferWriter Scratch
    {
        get
        {
            _scratch ??= new PooledBufferWriter();
            _scratch.Clear();
            return _scratch;
        }
    }

    /// <summary>Answers with the content written to <see cref="ResponseContent"/>.</summary>
    public void Respond(string contentType, string contentEncoding, IReadOnlyList<HeaderField>? customHeaders = null)
    {
        ReadOnlySpan<byte> content = _contentStarted ? _content!.WrittenSpan : default;
        Respond(contentType, contentEncoding, content, customHeaders);
    }

    /// <summary>Answers with <paramref name="content"/>.</summary>
    public void Respond(string contentType, string contentEncoding, ReadOnlySpan<byte> content, IReadOnlyList<HeaderField>? customHeaders = null)
    {
        IBufferWriter<byte> output = BeginResponse();
        FrameEncoder.Write(output, contentType, contentEncoding, content, customHeaders, _checksum);
    }

    /// <summary>
    /// Answers with a frame that is already encoded, prefix and header included (for cached answers). When the server
    /// writes checksums, one is added to the frame's header as its last key.
    /// </summary>
    public void RespondEncoded(ReadOnlySpan<byte> frame)
    {
        IBufferWriter<byte> output = BeginResponse();
        if (_checksum == ChecksumAlgorithm.None)
        {
            output.Write(frame);
            return;
        }

        FrameEncoder.WriteWithChecksum(output, frame, _checksum);
    }

    /// <summary>Answers with an error frame; the connection stays open.</summary>
    public void RespondError(ErrorCode code, string message) => RespondError(new ProtocolError(code, message));

    /// <summary>Answers with an error frame; the connection stays open.</summary>
    public void RespondError(ProtocolError error)
    {
        IBufferWriter<byte> output = BeginResponse();
        ErrorFrame.Write(output, error, _checksum);
        ErrorResponded = error.Code;
    }

    internal void Begin(in Frame request, IBufferWriter<byte> output)
    {
        Request = request;
        _output = output;
        HasResponded = false;
        ErrorResponded = ErrorCode.None;
        _contentStarted = false;
    }

    internal void End()
    {
        Request = default;
        _output = null;
    }

    /// <summary>Returns pooled buffers; called when the connection goes idle or closes.</summary>
    internal void ReleaseBuffers()
    {
        _content?.Release();
        _transcoded?.Release();
        _scratch?.Release();
    }

    private IBufferWriter<byte> BeginResponse()
    {
        if (HasResponded || _output is null)
        {
            ThrowNotRespondable();
        }

        HasResponded = true;
        return _output!;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNotRespondable() => throw new InvalidOperationException(
        HasResponded ? "The request has already been answered." : "There is no request to answer: the context is used outside its handler call.");
}
