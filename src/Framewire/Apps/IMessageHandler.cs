namespace Framewire.Apps;

/// <summary>
/// The server's extension point for the frame protocol: called once per request frame, in arrival order for a
/// connection, and must answer it with exactly one response through <see cref="MessageContext"/>.
/// </summary>
/// <remarks>
/// Return a completed <see cref="ValueTask"/> when the work is synchronous: the engine then answers without
/// leaving the receive path. A handler that throws <see cref="Protocol.ProtocolException"/> is answered with
/// that error; any other exception becomes an <c>internal_error</c> frame. Either way the connection stays open.
/// </remarks>
public interface IMessageHandler
{
    /// <summary>Answers the request in <paramref name="context"/>.</summary>
    ValueTask HandleAsync(MessageContext context, CancellationToken cancellationToken);
}
