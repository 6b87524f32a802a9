using Framewire.Apps;

namespace Framewire.Tests.Support;

/// <summary>A message handler made of a lambda, for tests that need one behaviour.</summary>
internal sealed class DelegateHandler(Func<MessageContext, ValueTask> handle) : IMessageHandler
{
    public ValueTask HandleAsync(MessageContext context, CancellationToken cancellationToken) => handle(context);
}
