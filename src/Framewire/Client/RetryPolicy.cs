namespace Framewire.Client;

/// <summary>
/// How a <see cref="MessageClient"/> retries when its connection drops: up to <see cref="MaxRetries"/> more
/// attempts, each on a fresh connection, after an exponential backoff with jitter between
/// <see cref="BaseDelay"/> and <see cref="MaxDelay"/>.
/// </summary>
public sealed class RetryPolicy
{
    private int _maxRetries = 3;
    private TimeSpan _baseDelay = TimeSpan.FromMilliseconds(100);
    private TimeSpan _maxDelay = TimeSpan.FromSeconds(5);

    /// <summary>Attempts after the first: 3. 0 still reconnects once a connection has dropped, but never sends a request twice.</summary>
    public int MaxRetries
    {
        get => _maxRetries;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _maxRetries = value;
        }
    }

    /// <summary>The backoff before the first retry, doubled for each retry after it: 100 ms.</summary>
    public TimeSpan BaseDelay
    {
        get => _baseDelay;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            _baseDelay = value;
        }
    }

    /// <summary>The longest backoff: 5 s.</summary>
    public TimeSpan MaxDelay
    {
        get => _maxDelay;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            _maxDelay = value;
        }
    }

    /// <summary>The wait before retry number <paramref name="retry"/> (from 1).</summary>
    internal TimeSpan DelayBefore(int retry)
    {
        double ceiling = Math.Min(MaxDelay.Ticks, BaseDelay.Ticks * Math.Pow(2, Math.Min(retry - 1, 62)));

        // Half fixed, so that the backoff grows; half random, so that clients dropped by the same failure do not all
        // come back at the same instant.
        return TimeSpan.FromTicks((long)((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2)));
    }
}
