namespace Framewire.Cli.Bench;

/// <summary>
/// Compares one connection's received bytes, as they arrive and in place, with the answers expected for the requests
/// it sent, in order. Answers may arrive split or many at once; any byte that differs, or any byte that comes when no
/// answer is owed, is a failure, after which the stream cannot be trusted and the connection must be replaced.
/// </summary>
internal sealed class ResponseChecker
{
    // How much of the received and expected bytes a failure shows, from the first byte that differs.
    private const int ExcerptLength = 48;

    private readonly Workload _workload;
    private readonly byte[]? _stamped;
    private ReadOnlyMemory<byte> _expected;
    private int _offset;

    public ResponseChecker(Workload workload)
    {
        _workload = workload;
        if (workload.IsStamped)
        {
            _stamped = (byte[])workload.ResponseTemplate(0).Clone();
        }
    }

    /// <summary>The sequence number of the next answer expected.</summary>
    public long Next { get; private set; }

    /// <summary>Why the last <see cref="Check"/> stopped early; null when every byte matched.</summary>
    public string? Failure { get; private set; }

    /// <summary>
    /// Checks <paramref name="received"/> against the answers to the requests before <paramref name="sent"/>.
    /// </summary>
    /// <returns>How many answers these bytes completed; when <see cref="Failure"/> is set, the bytes after them did not match.</returns>
    public int Check(ReadOnlySpan<byte> received, long sent)
    {
        int completed = 0;
        while (!received.IsEmpty)
        {
            if (Next >= sent)
            {
                Failure = $"{received.Length} byte(s) arrived with no answer owed: {PythonRepr.Bytes(received[..Math.Min(received.Length, ExcerptLength)])}";
                return completed;
            }

            if (_offset == 0)
            {
                _expected = Expected(Next);
            }

            ReadOnlySpan<byte> expected = _expected.Span[_offset..];
            int length = Math.Min(expected.Length, received.Length);
            if (!received[..length].SequenceEqual(expected[..length]))
            {
                Failure = Describe(received[..length], expected);
                return completed;
            }

            received = received[length..];
            _offset += length;
            if (_offset == _expected.Length)
            {
                _offset = 0;
                Next++;
                completed++;
            }
        }

        return completed;
    }

    /// <summary>Starts over on a new connection, whose first answer will be for request <paramref name="next"/>.</summary>
    public void Restart(long next)
    {
        Next = next;
        _offset = 0;
        Failure = null;
    }

    private ReadOnlyMemory<byte> Expected(long sequence)
    {
        if (_stamped is null)
        {
            return _workload.ResponseTemplate((int)(sequence % _workload.Cycle));
        }

        _workload.StampResponse(_stamped, sequence);
        return _stamped;
    }

    private string Describe(ReadOnlySpan<byte> received, ReadOnlySpan<byte> expected)
    {
        int same = received.CommonPrefixLength(expected);
        ReadOnlySpan<byte> got = received[same..];
        ReadOnlySpan<byte> wanted = expected[same..];
        return $"answer {Next} differs at byte {_offset + same}: got {PythonRepr.Bytes(got[..Math.Min(got.Length, ExcerptLength)])}, " +
            $"expected {PythonRepr.Bytes(wanted[..Math.Min(wanted.Length, ExcerptLength)])}";
    }
}
