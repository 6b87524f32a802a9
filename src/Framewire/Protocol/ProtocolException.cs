namespace Framewire.Protocol;

/// <summary>Thrown where a protocol error cannot be returned as a value: by the client, and by handlers to refuse a request.</summary>
public sealed class ProtocolException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/>.</summary>
    public ProtocolException(ProtocolError error)
        : base(error.ToString()) => Error = error;

    /// <summary>Creates the exception from a code and a message.</summary>
    public ProtocolException(ErrorCode code, string message)
        : this(new ProtocolError(code, message))
    {
    }

    /// <summary>The refused frame's error.</summary>
    public ProtocolError Error { get; }

    /// <summary>Shorthand for <c>Error.Code</c>.</summary>
    public ErrorCode Code => Error.Code;
}
