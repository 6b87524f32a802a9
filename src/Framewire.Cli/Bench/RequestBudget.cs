namespace Framewire.Cli.Bench;

/// <summary>
/// The requests a <c>--requests N</c> run may still send, shared by every connection; unlimited for a timed run.
/// Connections take a batch at a time, so the shared counter is touched once per send, not once per request.
/// </summary>
internal sealed class RequestBudget
{
    private readonly bool _limited;
    private long _remaining;

    public RequestBudget(long? total)
    {
        _limited = total is not null;
        _remaining = total ?? long.MaxValue;
    }

    public bool IsExhausted => _limited && Volatile.Read(ref _remaining) <= 0;

    /// <summary>Takes up to <paramref name="wanted"/> requests; returns how many were granted.</summary>
    public int Take(int wanted)
    {
        if (wanted <= 0)
        {
            return 0;
        }

        if (!_limited)
        {
            return wanted;
        }

        long remaining = Volatile.Read(ref _remaining);
        while (true)
        {
            int granted = (int)Math.Min(wanted, Math.Max(remaining, 0));
            if (granted == 0)
            {
                return 0;
            }

            long seen = Interlocked.CompareExchange(ref _remaining, remaining - granted, remaining);
            if (seen == remaining)
            {
                return granted;
            }

            remaining = seen;
        }
    }
}
