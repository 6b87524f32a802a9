using System.Net.Sockets;

namespace Framewire.Cli.Clients;

/// <summary>
/// One connection of <c>multiconn-client</c>, the <c>data</c> its selector registration carries, as the tutorial's
/// <c>types.SimpleNamespace(connid, msg_total, recv_total, messages, outb)</c>.
/// </summary>
internal sealed class MulticonnConnection
{
    private readonly byte[][] _messages;
    private readonly byte[] _echo;
    private int _nextMessage;

    /// <param name="echo">Every message's bytes in turn: what the server must send back.</param>
    public MulticonnConnection(int id, Socket socket, byte[][] messages, byte[] echo)
    {
        Id = id;
        Socket = socket;
        _messages = messages;
        _echo = echo;
    }

    public int Id { get; }

    public Socket Socket { get; }

    /// <summary>The bytes the server must echo: all the messages' bytes.</summary>
    public long MessageTotal => _echo.Length;

    /// <summary>The bytes echoed so far; an answer that is not the echo does not count.</summary>
    public long ReceivedTotal { get; private set; }

    /// <summary>The rest of the message being sent.</summary>
    public ReadOnlyMemory<byte> Outbox { get; set; }

    /// <summary>True until the selector has reported the non-blocking connect's end.</summary>
    public bool Connecting { get; set; }

    public bool IsClosed { get; private set; }

    /// <summary>Why the connection failed, or null.</summary>
    public string? Error { get; private set; }

    public bool HasMessages => _nextMessage < _messages.Length;

    /// <summary>The tutorial's <c>data.messages.pop(0)</c>.</summary>
    public byte[] TakeMessage() => _messages[_nextMessage++];

    /// <summary>The tutorial's <c>data.recv_total += len(recv_data)</c>, checking that the bytes are the echo; null, or what they are instead.</summary>
    public string? Receive(ReadOnlySpan<byte> received)
    {
        int echoed = Echoes.Match(_echo.AsSpan((int)ReceivedTotal), received, atStart: ReceivedTotal == 0, out string? problem);
        ReceivedTotal += echoed;
        return problem;
    }

    public void Close(string? error = null)
    {
        Error ??= error;
        IsClosed = true;
        Socket.Dispose();
    }
}
