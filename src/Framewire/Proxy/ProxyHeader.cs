using System.Net;

namespace Framewire.Proxy;

/// <summary>A parsed PROXY protocol header.</summary>
/// <param name="Version">1 for the text header, 2 for the binary one.</param>
/// <param name="Source">
/// The original client's address; null when the header carries none (a v2 LOCAL command, a v1 UNKNOWN line, a v2
/// UNSPEC family, an unnamed Unix socket), in which case the connection's own address stands.
/// </param>
/// <param name="Destination">The address the original client connected to; null when the header carries none.</param>
/// <param name="Length">The header's length in bytes, TLVs included: what to consume before the application's bytes.</param>
public readonly record struct ProxyHeader(int Version, EndPoint? Source, EndPoint? Destination, int Length);
