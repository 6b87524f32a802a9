using System.Net;
using System.Text;
using Framewire.Client;
using Framewire.Protocol;
using Framewire.Tests.Support;

namespace Framewire.Tests.Metrics;

[Collection(MetricsCollection.Name)]
public sealed class PeerMetricsTests
{
    [Fact]
    public async Task PeerLink_RequestAndRefusedFrame_RecordedUnderItsName()
    {
        using var recorder = new MetricsRecorder();
        await using RunningServer server = await RunningServer.StartAsync();
        await using var link = new PeerLink(new PeerLinkOptions { Name = "metrics-peer", EndPoint = new IPEndPoint(IPAddress.Loopback, server.Port), QueueCapacity = 1 });
        Assert.True(link.TrySend(ContentTypes.Json, ContentTypes.Utf8, Encoding.UTF8.GetBytes("{\"action\": \"search\", \"value\": \"ring\"}")));
        Assert.False(link.TrySend(ContentTypes.Json, ContentTypes.Utf8, Encoding.UTF8.GetBytes("{}")));
        Assert.Equal(1, recorder.Sum("framewire.peer.queued", "peer=metrics-peer"));

        link.Start();
        await link.RequestAsync(ContentTypes.Json, ContentTypes.Utf8, Encoding.UTF8.GetBytes("{\"action\": \"search\", \"value\": \"morpheus\"}"));

        const string Tag = "peer=metrics-peer";
        // The sender counts a frame once its write returns, which may be after the answer came.
        await Eventually.TrueAsync(() => recorder.Sum("framewire.peer.sent", Tag) == 2);
        Assert.Equal(1, recorder.Sum("framewire.peer.connected", Tag));
        Assert.Equal(0, recorder.Sum("framewire.peer.queued", Tag));
        Assert.Equal(1, recorder.Sum("framewire.peer.failed", "reason=queue_full"));
        Assert.Equal(1, recorder.Count("framewire.peer.request.duration", Tag));
        Assert.Equal(0, recorder.Sum("framewire.peer.reconnects", Tag));
    }
}
