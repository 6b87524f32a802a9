using System.Text;

namespace Framewire.Cli;

/// <summary>Formats values as Python's <c>repr()</c> does, so output reads like the tutorial's programs'.</summary>
internal static class PythonRepr
{
    /// <summary>repr() of a bytes object: <c>b'Hello, world'</c>, escapes for the rest.</summary>
    public static string Bytes(ReadOnlySpan<byte> bytes)
    {
        // Python quotes with ' unless the bytes hold a ' and no ".
        char quote = bytes.Contains((byte)'\'') && !bytes.Contains((byte)'"') ? '"' : '\'';
        var text = new StringBuilder(bytes.Length + 3);
        text.Append('b').Append(quote);
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case (byte)'\\':
                    text.Append(@"\\");
                    break;
                case (byte)'\t':
                    text.Append(@"\t");
                    break;
                case (byte)'\n':
                    text.Append(@"\n");
                    break;
                case (byte)'\r':
                    text.Append(@"\r");
                    break;
                case var _ when b == quote:
                    text.Append('\\').Append(quote);
                    break;
                case >= 0x20 and < 0x7F:
                    text.Append((char)b);
                    break;
                default:
                    text.Append(@"\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }

        return text.Append(quote).ToString();
    }
}
