using System.Buffers;

namespace Framewire.Apps;

/// <summary>
/// A handler for raw, unframed byte streams (the tutorial's echo programs): it sees bytes as they arrive and may
/// write bytes back. One instance serves every connection, so it keeps no per-connection state.
/// </summary>
public interface IStreamHandler
{
    /// <summary>
    /// Handles received bytes. Writes any reply to <paramref name="output"/> and slices <paramref name="input"/>
    /// to what it leaves unconsumed; unconsumed bytes are offered again with the next bytes that arrive.
    /// </summary>
    void OnReceived(ref ReadOnlySequence<byte> input, IBufferWriter<byte> output);
}
