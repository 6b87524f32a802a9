using Framewire.Apps;

namespace Framewire.Tests.Support;

/// <summary>The search app with a count of the answers it has given.</summary>
internal sealed class CountingHandler : IMessageHandler
{
    private readonly SearchHandler _inner = new();
    private long _answered;

    public long Answered => Interlocked.Read(ref _answered);

    public async ValueTask HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        await _inner.HandleAsync(context, cancellationToken);
        Interlocked.Increment(ref _answered);
    }
}
