using System.Net.Sockets;

namespace Framewire.Cli.Clients;

/// <summary>
/// One connection of <c>multiconn-client</c>, the <c>data</c> its selector registration carries, as the seed's
/// <c>types.SimpleNamespace(connid, msg_total, recv_total, messages, outb)</c>.
/// </summary>
internal sealed class MulticonnConnection
{
    private readonly byte[][] _messages;
    private int _nextMessage;

    public MulticonnConnection(int id, Socket socket, byte[][] messages, long messageTotal)
    {
        Id = id;
        Socket = socket;
        _messages = messages;
        MessageTotal = messageTotal;
    }

    public int Id { get; }

    public Socket Socket { get; }

    /// <summary>The bytes the server must echo: all the messages' bytes.</summary>
    public long MessageTotal { get; }

    public long ReceivedTotal { get; set; }

    /// <summary>The rest of the message being sent.</summary>
    public ReadOnlyMemory<byte> Outbox { get; set; }

    /// <summary>True until the selector has reported the non-blocking connect's end.</summary>
    public bool Connecting { get; set; }

    public bool IsClosed { get; private set; }

    /// <summary>Why the connection failed, or null.</summary>
    public string? Error { get; private set; }

    public bool HasMessages => _nextMessage < _messages.Length;

    /// <summary>The seed's <c>data.messages.pop(0)</c>.</summary>
    public byte[] TakeMessage() => _messages[_nextMessage++];

    public void Close(string? error = null)
    {
        Error ??= error;
        IsClosed = true;
        Socket.Dispose();
    }
}
