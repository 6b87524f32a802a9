namespace Framewire.Protocol;

/// <summary>The content types and encodings the tutorial's programs use.</summary>
public static class ContentTypes
{
    /// <summary>JSON text, decoded with the frame's content-encoding.</summary>
    public const string Json = "text/json";

    /// <summary>The binary type the tutorial's client sends for any action other than search.</summary>
    public const string ClientBinary = "binary/custom-client-binary-type";

    /// <summary>The binary type the tutorial's server answers binary requests with.</summary>
    public const string ServerBinary = "binary/custom-server-binary-type";

    /// <summary>UTF-8, the encoding of every header and of JSON content by default.</summary>
    public const string Utf8 = "utf-8";

    /// <summary>The conventional content-encoding of opaque bytes.</summary>
    public const string Binary = "binary";
}
