namespace Framewire.Client;

/// <summary>Where a <see cref="PeerLink"/> is in its life.</summary>
public enum PeerLinkState
{
    /// <summary>Made, not started: frames queue, nothing is sent.</summary>
    NotStarted,

    /// <summary>Connecting to the peer (the first time, or again after a backoff).</summary>
    Connecting,

    /// <summary>Connected: queued frames are being sent.</summary>
    Connected,

    /// <summary>The last connection dropped or could not be made: waiting out the backoff before the next attempt.</summary>
    Disconnected,

    /// <summary>Disposed: nothing more is sent.</summary>
    Closed,
}
