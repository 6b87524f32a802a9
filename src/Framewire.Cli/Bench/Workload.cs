namespace Framewire.Cli.Bench;

/// <summary>
/// The requests a run sends and the exact answers it must get back, for any sequence number. Requests repeat in a
/// cycle of <see cref="Cycle"/> templates; a stamped workload also writes each request's sequence number into it
/// (and into the answer expected for it), so that a lost, repeated or reordered answer is caught. One instance
/// serves every connection of a run and is never changed; the buffers live in the <see cref="RequestWriter"/> and
/// <see cref="ResponseChecker"/> each connection creates.
/// </summary>
internal abstract class Workload
{
    private readonly byte[][] _requests;
    private readonly byte[][] _responses;

    protected Workload(string name, byte[][] requests, byte[][] responses)
    {
        Name = name;
        _requests = requests;
        _responses = responses;
        foreach (byte[] request in requests)
        {
            MaxRequestLength = Math.Max(MaxRequestLength, request.Length);
        }

        foreach (byte[] response in responses)
        {
            MaxResponseLength = Math.Max(MaxResponseLength, response.Length);
        }
    }

    /// <summary>What the run sends, for the report: <c>echo 64 B</c>, <c>search</c>, <c>binary 64 B</c>.</summary>
    public string Name { get; }

    /// <summary>How many request templates the run cycles through.</summary>
    public int Cycle => _requests.Length;

    public int MaxRequestLength { get; }

    public int MaxResponseLength { get; }

    /// <summary>True when requests and answers carry their sequence number (see <see cref="StampRequest"/>).</summary>
    public virtual bool IsStamped => false;

    /// <summary>The request template at <paramref name="index"/> in the cycle.</summary>
    public ReadOnlySpan<byte> RequestTemplate(int index) => _requests[index];

    /// <summary>The answer template at <paramref name="index"/> in the cycle.</summary>
    public byte[] ResponseTemplate(int index) => _responses[index];

    public int RequestLength(long sequence) => _requests[(int)(sequence % _requests.Length)].Length;

    public int ResponseLength(long sequence) => _responses[(int)(sequence % _responses.Length)].Length;

    /// <summary>Writes <paramref name="sequence"/> into a request made from its template.</summary>
    public virtual void StampRequest(Span<byte> request, long sequence)
    {
    }

    /// <summary>Writes <paramref name="sequence"/> into an answer made from its template.</summary>
    public virtual void StampResponse(Span<byte> response, long sequence)
    {
    }

    /// <summary>The workload for a run's mode and options.</summary>
    public static Workload Create(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Mode switch
        {
            BenchMode.Echo => new EchoWorkload(settings.EchoSize),
            BenchMode.Frame when settings.BinarySize is int size => new BinaryWorkload(size),
            _ => new SearchWorkload(),
        };
    }
}
