using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ReplicatedLog.Node;

/// <summary>One buffer and one writer the node's loop serializes every outgoing message into, one at a time.</summary>
internal sealed class JsonScratch : IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _writer;

    public JsonScratch() => _writer = new Utf8JsonWriter(_buffer);

    /// <summary><paramref name="value"/> as UTF-8 JSON, valid until the next call.</summary>
    public ReadOnlyMemory<byte> Write<T>(T value, JsonTypeInfo<T> type)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset();
        JsonSerializer.Serialize(_writer, value, type);
        _writer.Flush();
        return _buffer.WrittenMemory;
    }

    public void Dispose() => _writer.Dispose();
}
