using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Protocol.Internal;

namespace Framewire.Cli.Admin;

/// <summary>
/// The dashboard's live data: once a second it samples the served server's counters and request latency into a
/// ring of the last five minutes, encodes the sample once as a server-sent event, and wakes every event stream
/// with it. Streams wait on one shared task, so a stream costs no timer, and the sampler never waits on a stream:
/// a client that reads slowly only falls behind (or is cut off by the engine's slow-consumer rule).
/// </summary>
internal sealed class DashboardFeed : IAsyncDisposable
{
    /// <summary>Event streams open at once; more are refused with 503, keeping the admin server's 16 connections for status requests.</summary>
    public const int MaxStreams = 8;

    /// <summary>Five minutes of 1-second samples: about 300 × 150 bytes of JSON for a new page's history.</summary>
    public const int HistorySeconds = 300;

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly MessageServer _server;
    private readonly RequestLatency _latency;
    private readonly SampleRing _ring = new(HistorySeconds);
    private readonly Lock _ringLock = new();
    private readonly Lock _streamLock = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _sampling;
    private TaskCompletionSource _tick = NewTick();
    private volatile PublishedSample _latest = new(0, []);
    private volatile bool _stopped;
    private int _streams;

    private ServerStatistics _previous;
    private long _previousTimestamp;

    private DashboardFeed(MessageServer server)
    {
        _server = server;
        _previous = server.GetStatistics();
        _latency = new RequestLatency(_previous.Engine);
        _previousTimestamp = Stopwatch.GetTimestamp();
        _timer = new PeriodicTimer(Interval);
        _sampling = SampleAsync();
    }

    /// <summary>The newest sample's event (<c>data: {…}</c>), numbered so a stream can tell whether it has sent it.</summary>
    public PublishedSample Latest => _latest;

    /// <summary>Completes when the next sample is out, or when the feed stops.</summary>
    public Task NextSample => Volatile.Read(ref _tick).Task;

    /// <summary>True once the admin endpoint is stopping: streams end.</summary>
    public bool IsStopped => _stopped;

    public static DashboardFeed Start(MessageServer server) => new(server);

    /// <summary>
    /// Takes one of the <see cref="MaxStreams"/> stream slots; false when all are taken. The first stream starts the
    /// latency measure and the last one to close stops it, so nobody watching costs the served requests nothing.
    /// </summary>
    public bool TryOpenStream()
    {
        lock (_streamLock)
        {
            if (_streams == MaxStreams)
            {
                return false;
            }

            if (_streams++ == 0)
            {
                _latency.Watch(true);
            }

            return true;
        }
    }

    public void CloseStream()
    {
        lock (_streamLock)
        {
            if (--_streams == 0)
            {
                _latency.Watch(false);
            }
        }
    }

    /// <summary>The first event of a stream: <c>event: history</c> with every sample kept, oldest first.</summary>
    public byte[] HistoryEvent()
    {
        DashboardSample[] history;
        lock (_ringLock)
        {
            history = _ring.ToArray();
        }

        return Event("history", JsonSerializer.SerializeToUtf8Bytes(history, AdminJsonContext.Default.DashboardSampleArray));
    }

    public async ValueTask DisposeAsync()
    {
        _stopped = true;
        _timer.Dispose();
        await _sampling.ConfigureAwait(false);
        _latency.Dispose();
        Volatile.Read(ref _tick).TrySetResult();
    }

    private static TaskCompletionSource NewTick() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static byte[] Event(string? name, byte[] json)
    {
        // JSON from System.Text.Json has no raw line breaks, so one data line carries it.
        string prefix = name is null ? "data: " : $"event: {name}\ndata: ";
        byte[] bytes = new byte[prefix.Length + json.Length + 2];
        Encoding.ASCII.GetBytes(prefix, bytes);
        json.CopyTo(bytes, prefix.Length);
        bytes[^2] = (byte)'\n';
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    private async Task SampleAsync()
    {
        while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            DashboardSample sample = Take();
            lock (_ringLock)
            {
                _ring.Add(sample);
            }

            // Latest first, then the wake-up: a stream that looked at the old tick sees the new number and sends.
            _latest = new PublishedSample(_latest.Sequence + 1, Event(null, JsonSerializer.SerializeToUtf8Bytes(sample, AdminJsonContext.Default.DashboardSample)));
            Interlocked.Exchange(ref _tick, NewTick()).TrySetResult();
        }
    }

    private DashboardSample Take()
    {
        ServerStatistics now = _server.GetStatistics();
        long timestamp = Stopwatch.GetTimestamp();
        double seconds = Math.Max(Stopwatch.GetElapsedTime(_previousTimestamp, timestamp).TotalSeconds, 0.001);
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach ((ErrorCode code, long count) in now.Errors)
        {
            long delta = count - _previous.Errors.GetValueOrDefault(code);
            if (delta > 0)
            {
                errors[ErrorCodes.ToWireString(code)] = delta;
            }
        }

        (long requests, double? p50, double? p99) = _latency.TakeInterval();
        var sample = new DashboardSample(
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            now.ActiveConnections,
            Rate(now.FramesReceived - _previous.FramesReceived, seconds),
            Rate(now.FramesSent - _previous.FramesSent, seconds),
            Rate(now.BytesReceived - _previous.BytesReceived, seconds),
            Rate(now.BytesSent - _previous.BytesSent, seconds),
            errors,
            requests,
            p50,
            p99);
        _previous = now;
        _previousTimestamp = timestamp;
        return sample;
    }

    private static double Rate(long delta, double seconds) => Math.Round(delta / seconds, 1);
}
