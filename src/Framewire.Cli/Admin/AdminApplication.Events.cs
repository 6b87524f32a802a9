using System.Buffers;
using Framewire.Engines;

namespace Framewire.Cli.Admin;

/// <summary>
/// <c>GET /api/events</c>: a server-sent event stream. The history first, then each new sample as the feed publishes
/// it. Between samples the stream is pending work on the feed's shared task; each sample is sent at once (the
/// engine flushes on <see cref="ProcessStatus.Paused"/>). A client that stops reading fills its socket and is cut
/// off by the engine's slow-consumer rule; until then it only misses samples, as the stream sends the newest.
/// </summary>
internal sealed partial class AdminApplication
{
    // Browsers reconnect a dropped EventSource after this many milliseconds; the new stream starts with the history.
    private static readonly byte[] Retry = "retry: 2000\n\n"u8.ToArray();

    private Task? _pending;
    private long _sent;
    private bool _streamClosed;

    private ProcessStatus StartEvents(ConnectionOutput output)
    {
        if (!site.Feed.TryOpenStream())
        {
            return Refuse(output, "503 Service Unavailable", $"{DashboardFeed.MaxStreams} event streams are open already.");
        }

        _protocol = Protocol.Events;
        _sent = site.Feed.Latest.Sequence;
        WriteHead(output, "200 OK", "text/event-stream", "");
        output.Write(Retry);
        output.Write(site.Feed.HistoryEvent());
        output.CompleteMessage();
        return ProcessStatus.Paused;
    }

    private ProcessStatus ProcessEvents(ref ReadOnlySequence<byte> input, ConnectionOutput output)
    {
        // A client says nothing more on an event stream; whatever it sends is dropped.
        input = input.Slice(input.End);
        _pending = null;
        if (site.Feed.IsStopped)
        {
            return ProcessStatus.Close;
        }

        // The task before the number: a sample published in between shows in the number, and is sent now.
        Task next = site.Feed.NextSample;
        PublishedSample latest = site.Feed.Latest;
        if (latest.Sequence != _sent)
        {
            _sent = latest.Sequence;
            output.Write(latest.Event);
            output.CompleteMessage();
            return ProcessStatus.Paused;
        }

        _pending = next;
        return ProcessStatus.Pending;
    }
}
