namespace Framewire.Engines.Internal.Uring;

/// <summary>What a submission was for: the low byte of its user data, beside the slot of the item it belongs to.</summary>
internal enum UringOp : byte
{
    None,
    Accept,
    Receive,
    Send,
    Cancel,
    Poll,
}
