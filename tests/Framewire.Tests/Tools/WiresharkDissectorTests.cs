using System.Buffers;
using System.Net;
using System.Text;
using Framewire.Client;
using Framewire.Engines;
using Framewire.Protocol;
using Framewire.Tests.Proxy;
using Framewire.Tests.Support;

namespace Framewire.Tests.Tools;

/// <summary>
/// tools/wireshark/framewire.lua over a real session of our client and servers on loopback, recorded by tcpdump: a
/// frame split across two segments, frames pipelined in one segment, content checksums good and bad, an error frame,
/// and PROXY v1 and v2 headers before a first frame. tshark must list every frame with the fields that were sent.
/// </summary>
public sealed class WiresharkDissectorTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // The tshark fields compared, in the listing's column order.
    private static readonly string[] Fields =
    [
        "framewire.kind", "framewire.content_type", "framewire.content_length", "framewire.content_checksum",
        "framewire.checksum_status", "framewire.error_code", "framewire.proxy.version", "framewire.proxy.src",
    ];

    private readonly string _directory = Directory.CreateTempSubdirectory("framewire-capture-").FullName;

    // What was sent, field by field, in the order it crossed the wire.
    private readonly Dictionary<string, List<string>> _expected = Fields.ToDictionary(f => f, _ => new List<string>());

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [CaptureFact]
    public async Task Dissector_RecordedSession_ListsEveryFrameWithTheFieldsSent()
    {
        await using RunningServer answersWithCrc = await RunningServer.StartAsync(configure: o => o.Checksum = ChecksumAlgorithm.Crc32C);
        await using RunningServer behindProxy = await RunningServer.StartAsync(configure: o => o.TrustedProxies.Add(IPNetwork.Parse("127.0.0.1/32")));
        string capture = Path.Combine(_directory, "session.pcap");

        await using (ChildProcess tcpdump = await StartCaptureAsync(capture, answersWithCrc.Port, behindProxy.Port))
        {
            await RunSessionAsync(answersWithCrc.EndPoint, behindProxy.EndPoint);

            // Packets still in the capture buffer are lost when tcpdump stops: it gets them at once (--immediate-mode),
            // writes each as it comes (-U), and is stopped only once the file has stopped growing.
            await WaitUntilStillAsync(capture);
            tcpdump.Terminate();
            await tcpdump.WaitForExitAsync(Timeout);
        }

        (Dictionary<string, List<string>> listed, string packets) = await ListAsync(capture, answersWithCrc.Port, behindProxy.Port);
        foreach (string field in Fields)
        {
            Assert.True(
                _expected[field].SequenceEqual(listed[field]),
                $"{field}: sent [{string.Join(", ", _expected[field])}], listed [{string.Join(", ", listed[field])}]. The capture:\n{packets}");
        }
    }

    private async Task RunSessionAsync(EndPoint server, EndPoint proxied)
    {
        byte[] morpheus = Frames.Json("{\"action\": \"search\", \"value\": \"morpheus\"}");
        await using (RawClient client = await RawClient.ConnectAsync(server))
        {
            client.Socket.NoDelay = true;

            // One frame in two sends, apart long enough to be two segments.
            await client.SendAsync(morpheus[..10]);
            await Task.Delay(200);
            await client.SendAsync(morpheus[10..]);
            Sent("request", "text/json", 41);
            await ReceiveAsync(client);

            // Two frames in one send: a search with its checksum, and a binary request.
            byte[] ring = Frames.Encode("text/json", "utf-8", "{\"action\": \"search\", \"value\": \"ring\"}"u8, checksum: ChecksumAlgorithm.Crc32C);
            await client.SendAsync([.. ring, .. Frames.Binary("helloworld!"u8)]);
            Sent("request", "text/json", 37, "crc32c:f4091042", "good");
            Sent("request", "binary/custom-client-binary-type", 11);
            await ReceiveAsync(client);
            await ReceiveAsync(client);

            // A checksum that is not the content's: answered with an error frame.
            await client.SendAsync(Frames.JsonWithChecksum("{\"action\": \"search\", \"value\": \"ring\"}", "crc32c:00000000"));
            Sent("request", "text/json", 37, "crc32c:00000000", "bad");
            await ReceiveAsync(client, "checksum_mismatch");
        }

        // Our client, writing SHA-256 checksums, which the dissector shows but does not verify.
        await using (MessageClient client = await MessageClient.ConnectAsync(server, new MessageClientOptions { Checksum = ChecksumAlgorithm.Sha256 }))
        {
            Request request = Request.Json("search", "morpheus");
            Task<Response> answer = client.SendAsync(request);
            Sent("request", "text/json", request.Content.Length, Frames.Checksum(ChecksumAlgorithm.Sha256, request.Content.Span), "unverified");
            Received(await answer);
        }

        await using (RawClient client = await RawClient.ConnectAsync(proxied))
        {
            await client.SendAsync([.. ProxyHeaders.V1("PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n"), .. morpheus]);
            SentProxy(1, "192.0.2.1");
            Sent("request", "text/json", 41);
            await ReceiveAsync(client);
        }

        await using (RawClient client = await RawClient.ConnectAsync(proxied))
        {
            await client.SendAsync(ProxyHeaders.V2Inet(new IPEndPoint(IPAddress.Parse("192.0.2.2"), 40000), new IPEndPoint(IPAddress.Parse("198.51.100.1"), 443)));
            await Task.Delay(200);
            await client.SendAsync(morpheus);
            SentProxy(2, "192.0.2.2");
            Sent("request", "text/json", 41);
            await ReceiveAsync(client);
        }
    }

    private async Task ReceiveAsync(RawClient client, string? errorCode = null)
    {
        (FrameHeader header, byte[] content) = await client.ReadFrameAsync();
        Received(header, content, errorCode);
    }

    private void Received(Response response) => Received(response.Header, response.Content.ToArray(), null);

    private void Received(FrameHeader header, byte[] content, string? errorCode)
    {
        string? checksum = header.GetCustomHeader(ContentChecksum.HeaderName) is string raw ? new HeaderField(ContentChecksum.HeaderName, raw).StringValue : null;
        Sent("response", header.ContentType, content.Length, checksum, checksum is null ? null : checksum.StartsWith("crc32c:", StringComparison.Ordinal) ? "good" : "unverified", errorCode);
    }

    private void Sent(string kind, string contentType, int contentLength, string? checksum = null, string? status = null, string? errorCode = null)
    {
        _expected["framewire.kind"].Add(kind);
        _expected["framewire.content_type"].Add(contentType);
        _expected["framewire.content_length"].Add(contentLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AddIf("framewire.content_checksum", checksum);
        AddIf("framewire.checksum_status", status);
        AddIf("framewire.error_code", errorCode);
    }

    private void SentProxy(int version, string source)
    {
        _expected["framewire.kind"].Add("proxy");
        _expected["framewire.proxy.version"].Add(version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _expected["framewire.proxy.src"].Add(source);
    }

    private void AddIf(string field, string? value)
    {
        if (value is not null)
        {
            _expected[field].Add(value);
        }
    }

    private static async Task<ChildProcess> StartCaptureAsync(string file, int port, int otherPort)
    {
        ChildProcess tcpdump = ChildProcess.Start(CaptureFactAttribute.Tcpdump!, ["-i", "lo", "--immediate-mode", "-U", "-n", "-w", file, $"tcp port {port} or tcp port {otherPort}"]);
        using var ready = new CancellationTokenSource(Timeout);
        while (!tcpdump.Stderr.Contains("listening on", StringComparison.Ordinal))
        {
            if (tcpdump.HasExited)
            {
                string error = tcpdump.Stderr;
                await tcpdump.DisposeAsync();
                throw new InvalidOperationException($"tcpdump could not capture on lo (it needs root or CAP_NET_RAW): {error}");
            }

            await Task.Delay(50, ready.Token);
        }

        return tcpdump;
    }

    private static async Task WaitUntilStillAsync(string file)
    {
        long size = -1;
        for (int i = 0; i < 50; i++)
        {
            await Task.Delay(200);
            long now = new FileInfo(file).Length;
            if (now == size)
            {
                return;
            }

            size = now;
        }
    }

    /// <summary>Each field's values across the listing, packet by packet, a packet's frames in order.</summary>
    /// <remarks>Also returns tshark's summary of every packet, to show when the listing is not what was sent.</remarks>
    private static async Task<(Dictionary<string, List<string>> Listed, string Packets)> ListAsync(string capture, int port, int otherPort)
    {
        string script = Path.Combine(RepoPaths.Root, "tools", "wireshark", "framewire.lua");
        // Both ends' ports are ephemeral, and TCP offers a packet to the dissector of the lower port first: a client port
        // that some other protocol is registered on would take the packet. Heuristics first puts the dissector's own
        // check of the connection's first bytes ahead of any port.
        List<string> common = ["-r", capture, "-X", "lua_script:" + script, "-o", $"framewire.ports:{port},{otherPort}", "-o", "tcp.try_heuristic_first:TRUE"];
        (_, string packets, _) = await ChildProcess.RunAsync(ChildProcess.Start(CaptureFactAttribute.Tshark!, common), Timeout);
        List<string> args = [.. common, "-Y", "framewire", "-T", "fields"];
        foreach (string field in Fields)
        {
            args.AddRange(["-e", field]);
        }

        (int code, string stdout, string stderr) = await ChildProcess.RunAsync(ChildProcess.Start(CaptureFactAttribute.Tshark!, args), Timeout);
        Assert.True(code == 0, $"tshark exited {code}: {stderr}");
        Assert.DoesNotContain("Lua", stderr, StringComparison.Ordinal);

        Dictionary<string, List<string>> listed = Fields.ToDictionary(f => f, _ => new List<string>());
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] columns = line.Split('\t');
            for (int i = 0; i < Fields.Length && i < columns.Length; i++)
            {
                listed[Fields[i]].AddRange(columns[i].Split(',', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        return (listed, packets);
    }
}
