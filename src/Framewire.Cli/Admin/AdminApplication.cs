using System.Buffers;
using Framewire.Engines;

namespace Framewire.Cli.Admin;

/// <summary>
/// One admin connection. The first byte tells its protocol: a frame begins with its header's length, under the admin
/// server's 8 KiB limit, so its first byte is at most 0x20; an HTTP request begins with a method in capitals, 0x41 or
/// more, which as a frame would announce a header of at least 16 KiB. Frames go to the frame protocol's own
/// application (<see cref="StatusHandler"/> answers them, as <c>framewire status</c> asks); HTTP gets the dashboard,
/// <c>/api/status</c> and <c>/api/events</c>.
/// </summary>
internal sealed partial class AdminApplication(AdminSite site, ConnectionApplication frames) : ConnectionApplication
{
    private Protocol _protocol;

    private enum Protocol
    {
        Unknown,
        Frames,
        Http,
        Events,
    }

    public override Task? PendingWork => _protocol == Protocol.Frames ? frames.PendingWork : _pending;

    public override ProcessStatus Process(ref ReadOnlySequence<byte> input, ConnectionOutput output)
    {
        if (_protocol == Protocol.Unknown)
        {
            if (input.IsEmpty)
            {
                return ProcessStatus.NeedMoreData;
            }

            _protocol = input.FirstSpan[0] is >= (byte)'A' and <= (byte)'Z' ? Protocol.Http : Protocol.Frames;
        }

        switch (_protocol)
        {
            case Protocol.Frames:
                ProcessStatus status = frames.Process(ref input, output);
                CloseError = frames.CloseError;
                return status;
            case Protocol.Http:
                return ProcessHttp(ref input, output);
            default:
                return ProcessEvents(ref input, output);
        }
    }

    public override MessageProgress GetProgress(bool hasUnconsumedInput) => _protocol switch
    {
        Protocol.Frames => frames.GetProgress(hasUnconsumedInput),

        // A head that has not ended yet is a header under the frame timeout, so a slow sender is cut off.
        Protocol.Http => hasUnconsumedInput ? MessageProgress.Header : MessageProgress.None,
        _ => MessageProgress.None,
    };

    public override void OnIncompleteMessage(CloseReason reason, ConnectionOutput output)
    {
        if (_protocol == Protocol.Frames)
        {
            frames.OnIncompleteMessage(reason, output);
        }
    }

    /// <summary>
    /// An event stream never goes idle (it waits on the feed as pending work), so the async engine calls this only
    /// once it has closed: that frees its slot.
    /// </summary>
    public override void ReleaseBuffers()
    {
        frames.ReleaseBuffers();
        if (_protocol == Protocol.Events && !_streamClosed)
        {
            _streamClosed = true;
            site.Feed.CloseStream();
        }
    }
}
