namespace Framewire.Protocol.Internal;

/// <summary>
/// Returns shared string instances for the header values nearly every frame carries, so decoding a
/// typical header allocates nothing.
/// </summary>
internal static class KnownStrings
{
    public const string Little = "little";
    public const string Big = "big";

    /// <summary>What Python's <c>sys.byteorder</c> says on this machine.</summary>
    public static readonly string NativeByteOrder = BitConverter.IsLittleEndian ? Little : Big;

    public static string Intern(ReadOnlySpan<byte> utf8)
    {
        switch (utf8.Length)
        {
            case 3 when utf8.SequenceEqual("big"u8):
                return Big;
            case 5 when utf8.SequenceEqual("utf-8"u8):
                return ContentTypes.Utf8;
            case 6 when utf8.SequenceEqual("little"u8):
                return Little;
            case 6 when utf8.SequenceEqual("binary"u8):
                return ContentTypes.Binary;
            case 9 when utf8.SequenceEqual("text/json"u8):
                return ContentTypes.Json;
            case 32 when utf8.SequenceEqual("binary/custom-client-binary-type"u8):
                return ContentTypes.ClientBinary;
            case 32 when utf8.SequenceEqual("binary/custom-server-binary-type"u8):
                return ContentTypes.ServerBinary;
            default:
                return System.Text.Encoding.UTF8.GetString(utf8);
        }
    }
}
