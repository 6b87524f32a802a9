using CsCheck;

namespace Framewire.Tests.Support;

/// <summary>Random corruption for property tests: bytes overwritten, inserted, removed or with a bit flipped.</summary>
internal static class ByteMutations
{
    /// <summary>One to six changes, each a position (taken modulo the length), a byte and a kind.</summary>
    public static readonly Gen<(int Position, byte Value, int Kind)[]> Gen =
        CsCheck.Gen.Select(CsCheck.Gen.Int[0, int.MaxValue], CsCheck.Gen.Byte, CsCheck.Gen.Int[0, 3]).Array[1, 6];

    public static byte[] Apply(byte[] input, (int Position, byte Value, int Kind)[] changes)
    {
        var bytes = new List<byte>(input);
        foreach ((int position, byte value, int kind) in changes)
        {
            int at = position % (bytes.Count + 1);
            switch (kind)
            {
                case 0 when at < bytes.Count:
                    bytes[at] = value;
                    break;
                case 1:
                    bytes.Insert(at, value);
                    break;
                case 2 when at < bytes.Count:
                    bytes.RemoveAt(at);
                    break;
                case 3 when at < bytes.Count:
                    bytes[at] ^= (byte)(1 << (value % 8));
                    break;
            }
        }

        return [.. bytes];
    }
}
