using System.Net;

namespace Framewire.Client;

/// <summary>
/// A <see cref="PeerLink"/> as <see cref="PeerLink.GetSnapshot"/> saw it, for a node's status page. The link keeps
/// counting while the snapshot is read, so its fields need not be from exactly the same instant.
/// </summary>
public sealed class PeerLinkSnapshot
{
    internal PeerLinkSnapshot(string name, EndPoint remoteEndPoint, PeerLinkState state)
    {
        Name = name;
        RemoteEndPoint = remoteEndPoint;
        State = state;
    }

    /// <summary>The peer's name.</summary>
    public string Name { get; }

    /// <summary>The peer's address.</summary>
    public EndPoint RemoteEndPoint { get; }

    /// <summary>What the link was doing.</summary>
    public PeerLinkState State { get; }

    /// <summary>When the current connection was made; null while there is none.</summary>
    public DateTimeOffset? ConnectedSince { get; internal init; }

    /// <summary>Connections made after the first: how often the link has had to come back.</summary>
    public long Reconnects { get; internal init; }

    /// <summary>Frames waiting to be sent.</summary>
    public int Queued { get; internal init; }

    /// <summary>Frames written to the peer.</summary>
    public long Sent { get; internal init; }

    /// <summary>
    /// Frames that did not make it: refused by a full queue, requests that timed out or whose connection dropped
    /// before the answer, and what was still queued when the link was disposed.
    /// </summary>
    public long Failed { get; internal init; }

    /// <summary>Why the last connection dropped or the last attempt failed; null when none has.</summary>
    public string? LastError { get; internal init; }
}
