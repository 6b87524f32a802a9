using Framewire.Apps;

namespace ReplicatedLog.Node;

/// <summary>A client's put, appended at <paramref name="Index"/> in <paramref name="Term"/>, waiting for its commit.</summary>
internal sealed record PendingWrite(long Index, long Term, IncomingMessage Request, long Deadline);
