using System.Buffers;

namespace Framewire.Protocol.Internal;

/// <summary>
/// The bytes a JSON string may hold as they are: printable ASCII but the quote and the backslash. A string of only
/// these is its own value, valid UTF-8, and can be compared byte for byte without the JSON reader.
/// </summary>
internal static class PlainJsonString
{
    public static readonly SearchValues<byte> Bytes = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);
}
