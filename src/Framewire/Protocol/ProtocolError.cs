using Framewire.Protocol.Internal;

namespace Framewire.Protocol;

/// <summary>A refused frame or request: a stable <see cref="ErrorCode"/> and a message for people.</summary>
/// <param name="Code">The machine-readable reason.</param>
/// <param name="Message">What was wrong, in words; safe to send to the peer.</param>
public readonly record struct ProtocolError(ErrorCode Code, string Message)
{
    /// <summary>The wire string of <see cref="Code"/>.</summary>
    public string WireCode => ErrorCodes.ToWireString(Code);

    /// <inheritdoc/>
    public override string ToString() => $"{WireCode}: {Message}";
}
