namespace Framewire.Protocol;

/// <summary>Size limits a decoder enforces before it buffers or allocates anything for a frame.</summary>
public sealed record FrameLimits
{
    /// <summary>The default header limit: 8 KiB, the request-header line limit of nginx and Apache httpd.</summary>
    public const int DefaultMaxHeaderLength = 8 * 1024;

    /// <summary>The default content limit: 16 MiB.</summary>
    public const int DefaultMaxContentLength = 16 * 1024 * 1024;

    /// <summary>The limits used when none are given.</summary>
    public static FrameLimits Default { get; } = new();

    /// <summary>Largest accepted JSON header, in bytes (1 to 65535: the prefix is 2 bytes).</summary>
    public int MaxHeaderLength
    {
        get;
        init => field = value is >= 1 and <= ushort.MaxValue
            ? value
            : throw new OptionOutOfRangeException(nameof(MaxHeaderLength), value, "between 1 and 65535 bytes (the prefix is 2 bytes)");
    } = DefaultMaxHeaderLength;

    /// <summary>Largest accepted content, in bytes (0 to <see cref="int.MaxValue"/> minus the largest header).</summary>
    public int MaxContentLength
    {
        get;
        init => field = value is >= 0 and <= int.MaxValue - 2 - ushort.MaxValue
            ? value
            : throw new OptionOutOfRangeException(nameof(MaxContentLength), value, "between 0 and 2 GiB minus 64 KiB");
    } = DefaultMaxContentLength;

    /// <summary>The longest frame these limits allow, prefix included.</summary>
    public int MaxFrameLength => 2 + MaxHeaderLength + MaxContentLength;
}
