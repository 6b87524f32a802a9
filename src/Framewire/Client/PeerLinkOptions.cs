using System.Net;
using Framewire.Protocol;

namespace Framewire.Client;

/// <summary>What a <see cref="PeerLink"/> connects to and how it behaves; <see cref="Validate"/> checks it.</summary>
public sealed class PeerLinkOptions
{
    /// <summary>The peer's name, as logs, metrics (the <c>peer</c> tag) and snapshots show it. Required.</summary>
    public string Name { get; set; } = "";

    /// <summary>The peer's address; or leave it null and give <see cref="Host"/> and <see cref="Port"/>.</summary>
    public EndPoint? EndPoint { get; set; }

    /// <summary>The peer's host name or address, with <see cref="Port"/>, when <see cref="EndPoint"/> is null.</summary>
    public string? Host { get; set; }

    /// <summary>The peer's port, with <see cref="Host"/>.</summary>
    public int Port { get; set; }

    /// <summary>
    /// Frames that may wait to be sent: 1024 by default. Beyond it <see cref="PeerLink.TrySend"/> returns false and
    /// <see cref="PeerLink.RequestAsync"/> waits for room, within its timeout: the queue never grows without bound.
    /// </summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>
    /// The backoff between connection attempts: from 100 ms, doubled per failed attempt, up to 5 s, with jitter. The
    /// link reconnects until it is disposed, so <see cref="RetryPolicy.MaxRetries"/> is not used.
    /// </summary>
    public RetryPolicy Reconnect { get; set; } = new();

    /// <summary>How long one connection attempt may take: 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long <see cref="PeerLink.RequestAsync"/> waits for its answer, time in the queue included: 5 s by default,
    /// as a peer slower than that is as good as down to a node's timers. <see cref="Timeout.InfiniteTimeSpan"/> waits
    /// forever.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Limits applied to the peer's answers.</summary>
    public FrameLimits Limits { get; set; } = FrameLimits.Default;

    /// <summary>TLS to the peer; null (the default) for plain TCP.</summary>
    public TlsClientOptions? Tls { get; set; }

    /// <summary>Checks every setting; <see cref="PeerLink"/>'s constructor calls it.</summary>
    /// <exception cref="OptionOutOfRangeException">A setting is out of its range.</exception>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Name), nameof(Name), Name, "a name for the peer");
        Require(EndPoint is not null || (!string.IsNullOrEmpty(Host) && Port is >= 1 and <= 65535), nameof(EndPoint), EndPoint, "an address, or a Host with a Port from 1 to 65535");
        Require(QueueCapacity >= 1, nameof(QueueCapacity), QueueCapacity, "at least 1");
        Require(Reconnect is not null, nameof(Reconnect), Reconnect, "a backoff policy");
        Require(Limits is not null, nameof(Limits), Limits, "a set of frame limits");
        Require(IsWait(ConnectTimeout, infinite: false), nameof(ConnectTimeout), ConnectTimeout, "more than 0 s and at most 24.8 days");
        Require(IsWait(RequestTimeout, infinite: true), nameof(RequestTimeout), RequestTimeout, "more than 0 s and at most 24.8 days, or infinite");
    }

    /// <summary>The address to connect to.</summary>
    internal EndPoint ResolveEndPoint() => EndPoint ?? Endpoints.Parse(Host!, Port);

    // CancellationTokenSource takes at most int.MaxValue milliseconds (24.8 days).
    private static bool IsWait(TimeSpan wait, bool infinite) =>
        (infinite && wait == Timeout.InfiniteTimeSpan) || (wait > TimeSpan.Zero && wait.TotalMilliseconds <= int.MaxValue);

    private static void Require(bool holds, string option, object? value, string requirement)
    {
        if (!holds)
        {
            throw new OptionOutOfRangeException(option, value, requirement);
        }
    }
}
