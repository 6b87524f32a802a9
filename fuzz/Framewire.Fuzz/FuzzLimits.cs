using Framewire.Protocol;

namespace Framewire.Fuzz;

/// <summary>The decoder limits the frame-stream targets fuzz with.</summary>
internal static class FuzzLimits
{
    /// <summary>
    /// Small, so short inputs reach the limit checks; 1024 is above the decoder's 512-byte stack threshold, so a header
    /// split across segments is joined both on the stack and in a rented array.
    /// </summary>
    public static readonly FrameLimits Input = new() { MaxHeaderLength = 1024, MaxContentLength = 4096 };

    /// <summary>
    /// For decoding what the targets wrote: re-encoding may escape what arrived raw (a control character grows from 1
    /// byte to 6) and a checksum adds up to 94 bytes, so this allows the longest header the 2-byte prefix can state.
    /// </summary>
    public static readonly FrameLimits Written = new() { MaxHeaderLength = ushort.MaxValue, MaxContentLength = 4096 };
}
