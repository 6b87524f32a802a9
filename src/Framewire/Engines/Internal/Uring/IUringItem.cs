namespace Framewire.Engines.Internal.Uring;

/// <summary>Something with requests in a loop's ring (a listener, a connection, the doorbell): told of each completion.</summary>
internal interface IUringItem
{
    void OnCompletion(UringOp op, int result, uint flags);
}
