namespace Framewire.Protocol;

/// <summary>The algorithm of a frame's <c>content-checksum</c> header (see <see cref="ContentChecksum"/>).</summary>
public enum ChecksumAlgorithm
{
    /// <summary>No checksum is written; one that arrives is still verified.</summary>
    None = 0,

    /// <summary>CRC-32C (Castagnoli, as in iSCSI, RFC 3720): <c>crc32c:</c> and 8 hex digits.</summary>
    Crc32C,

    /// <summary>SHA-256: <c>sha256:</c> and 64 hex digits.</summary>
    Sha256,
}
