using System.Buffers;
using System.Net.Sockets;
using Framewire.Client;
using Framewire.Protocol;
using Framewire.Selectors;

namespace Framewire.Cli.Clients;

/// <summary>
/// The tutorial's <c>libclient.Message</c>: one connection's state as its selector registration's data. It writes the
/// request frame while the socket is registered for writing, then registers for reading only and decodes the
/// answer with a <see cref="FrameDecoder"/> until one whole frame is in.
/// </summary>
internal sealed class AppClientMessage
{
    private const int ReceiveSize = 4096;

    private readonly Selector _selector;
    private readonly Socket _socket;
    private readonly ArrayBufferWriter<byte> _request = new();
    private readonly ArrayBufferWriter<byte> _received = new();
    private readonly FrameDecoder _decoder = new();
    private readonly Request _requestToSend;
    private readonly TextWriter? _log;
    private readonly string _target;
    private int _sent;
    private int _decoded;
    private bool _announced;

    /// <param name="log">Where to say what is sent (<c>--verbose</c>), or null.</param>
    /// <param name="target">The server's address, as the log names it.</param>
    /// <param name="checksum">The content-checksum the request carries.</param>
    public AppClientMessage(Selector selector, Socket socket, Request request, ChecksumAlgorithm checksum, bool connecting, TextWriter? log, string target)
    {
        _selector = selector;
        _socket = socket;
        _requestToSend = request;
        _log = log;
        _target = target;
        Connecting = connecting;
        FrameEncoder.Write(_request, request.ContentType, request.ContentEncoding, request.Content.Span, null, checksum);
    }

    /// <summary>True until the selector has reported that the non-blocking connect succeeded.</summary>
    public bool Connecting { get; private set; }

    /// <summary>The answer, once a whole frame has come.</summary>
    public Response? Response { get; private set; }

    /// <summary>The answer is the request's own bytes, as an echo server sends them back.</summary>
    public bool IsEchoOfRequest { get; private set; }

    /// <summary>The tutorial's <c>process_events</c>.</summary>
    /// <exception cref="SocketException">The connect, a send or a receive failed.</exception>
    /// <exception cref="IOException">The server closed the connection before a whole answer.</exception>
    /// <exception cref="ProtocolException">The answer is not a valid frame, or its content fails its checksum.</exception>
    public void ProcessEvents(SelectorEvents events)
    {
        if (Connecting)
        {
            // Connecting stays true when the connect failed, so that the caller can tell that failure from later ones.
            SocketError connected = NonBlockingConnect.Finish(_socket);
            if (connected != SocketError.Success)
            {
                throw new SocketException((int)connected);
            }

            Connecting = false;
        }

        if ((events & SelectorEvents.Read) != 0)
        {
            Read();
        }

        if ((events & SelectorEvents.Write) != 0 && Response is null)
        {
            Write();
        }
    }

    private void Write()
    {
        if (!_announced)
        {
            _announced = true;
            _log?.WriteLine($"Sending {_requestToSend.ContentType} request ({_requestToSend.Content.Length} bytes) to {_target}");
        }

        int sent = _socket.Send(_request.WrittenSpan[_sent..], SocketFlags.None, out SocketError error);
        if (error == SocketError.WouldBlock)
        {
            return;
        }

        if (error != SocketError.Success)
        {
            throw new SocketException((int)error);
        }

        _sent += sent;
        if (_sent == _request.WrittenCount)
        {
            // The request is out: from now on only the answer matters.
            _selector.Modify(_socket, SelectorEvents.Read);
        }
    }

    private void Read()
    {
        int received = _socket.Receive(_received.GetSpan(ReceiveSize), SocketFlags.None, out SocketError error);
        if (error == SocketError.WouldBlock)
        {
            return;
        }

        if (error != SocketError.Success)
        {
            throw new SocketException((int)error);
        }

        if (received == 0)
        {
            throw new IOException(_received.WrittenCount > 0
                ? "The server closed the connection in the middle of a response."
                : "The server closed the connection before answering.");
        }

        _received.Advance(received);

        // The decoder consumes a frame's header before its content has come; what it consumed is not handed back.
        var pending = new ReadOnlySequence<byte>(_received.WrittenMemory[_decoded..]);
        DecodeStatus status = _decoder.Decode(ref pending, out Frame frame, out ProtocolError protocolError);
        _decoded = _received.WrittenCount - (int)pending.Length;
        if (status == DecodeStatus.Error)
        {
            throw new ProtocolException(protocolError);
        }

        if (status == DecodeStatus.Frame)
        {
            if (!ContentChecksum.TryVerify(frame, out ProtocolError checksumError))
            {
                throw new ProtocolException(checksumError);
            }

            IsEchoOfRequest = _received.WrittenSpan[.._decoded].SequenceEqual(_request.WrittenSpan);
            Response = new Response(frame.Header, frame.Content.ToArray());
        }
    }
}
