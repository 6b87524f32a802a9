namespace Framewire.Proxy;

/// <summary>What one call of <see cref="ProxyHeaderParser.Parse"/> found at the start of a connection.</summary>
public enum ProxyParseStatus
{
    /// <summary>The bytes so far are the start of a valid header; call again when more have arrived.</summary>
    NeedMoreData,

    /// <summary>A complete, valid header.</summary>
    Parsed,

    /// <summary>The bytes are not a PROXY protocol header; the connection must be closed.</summary>
    Invalid,
}
