using System.Net;
using System.Net.Sockets;
using Framewire.Apps;
using Framewire.Client;
using Framewire.Engines;
using Framewire.Hosting;
using Framewire.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Framewire.Tests.Hosting;

/// <summary>A generic host that runs a server with its options bound from configuration.</summary>
public class FramewireServerHostTests
{
    [Fact]
    public async Task Host_ConfiguredFromMemory_ServesSearchAndStopsGracefully()
    {
        using IHost host = Build(new()
        {
            ["Framewire:Host"] = "127.0.0.1",
            ["Framewire:Port"] = "0",
            ["Framewire:MaxContentLength"] = "100",
            ["Framewire:ShutdownTimeout"] = "00:00:05",
        });
        await host.StartAsync();
        MessageServer server = host.Services.GetRequiredService<MessageServer>();
        var endPoint = Assert.IsType<IPEndPoint>(server.LocalEndPoint);
        Assert.Equal(IPAddress.Loopback, endPoint.Address);
        Assert.NotEqual(Endpoints.DefaultPort, endPoint.Port);

        await using (MessageClient client = await MessageClient.ConnectAsync(endPoint))
        {
            Assert.Equal("Follow the white rabbit. \U0001f430", (await client.SearchAsync("morpheus")).GetResultText());

            // The bound content limit is the one in force: 101 bytes are refused.
            Response refused = await client.SendAsync(ContentTypes.ClientBinary, ContentTypes.Binary, new byte[101]);
            Assert.True(refused.TryGetError(out ProtocolError error));
            Assert.Equal(ErrorCode.ContentTooLarge, error.Code);
        }

        await host.StopAsync();

        Assert.Equal(0, server.ConnectionCount);
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        SocketException refusedConnect = await Assert.ThrowsAsync<SocketException>(async () => await probe.ConnectAsync(endPoint));
        Assert.Equal(SocketError.ConnectionRefused, refusedConnect.SocketErrorCode);
    }

    [Fact]
    public async Task Host_TheServerSingleton_ShowsLiveConnectionsAndStatistics()
    {
        using IHost host = Build(new() { ["Framewire:Host"] = "127.0.0.1", ["Framewire:Port"] = "0" });
        await host.StartAsync();
        MessageServer server = host.Services.GetRequiredService<MessageServer>();
        await using (MessageClient client = await MessageClient.ConnectAsync(server.LocalEndPoint!))
        {
            await client.SearchAsync("morpheus");
            ConnectionSnapshot connection = Assert.Single(server.GetConnections());
            Assert.Equal(client.LocalEndPoint, connection.RemoteEndPoint);
            Assert.Equal(1, connection.FramesReceived);
        }

        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (server.GetConnections().Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        ServerStatistics statistics = server.GetStatistics();
        Assert.Equal(0, statistics.ActiveConnections);
        Assert.Equal(1, statistics.AcceptedConnections);
        Assert.Equal(1, statistics.FramesSent);
        await host.StopAsync();
    }

    [Fact]
    public void Options_UnsetValues_KeepTheEnginesDefaults()
    {
        using IHost host = Build(new() { ["Framewire:Port"] = "7000", ["Framewire:WorkerThreads"] = "3" });

        FramewireServerOptions bound = host.Services.GetRequiredService<IOptions<FramewireServerOptions>>().Value;
        MessageServerOptions options = bound.ToMessageServerOptions();

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7000), options.EndPoint);
        Assert.Equal(3, options.WorkerThreads);
        Assert.Equal(new MessageServerOptions().Backlog, options.Backlog);
        Assert.Equal(FrameLimits.Default, options.Limits);
    }

    [Fact]
    public void Options_Limits_BoundAndMapped()
    {
        using IHost host = Build(new() { ["Framewire:MaxConnections"] = "50", ["Framewire:IdleTimeout"] = "00:00:30", ["Framewire:FrameTimeout"] = "00:00:02.5" });

        MessageServerOptions options = host.Services.GetRequiredService<IOptions<FramewireServerOptions>>().Value.ToMessageServerOptions();
        MessageServerOptions defaults = new FramewireServerOptions().ToMessageServerOptions();

        Assert.Equal(50, options.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(30), options.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.FrameTimeout);
        Assert.Equal(10000, defaults.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(120), defaults.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), defaults.FrameTimeout);
    }

    [Fact]
    public void Options_FlowControl_BoundAndMapped()
    {
        using IHost host = Build(new()
        {
            ["Framewire:MaxInFlight"] = "4",
            ["Framewire:SendHighWater"] = "16384",
            ["Framewire:SendLimit"] = "2097152",
            ["Framewire:MinDataRate"] = "1000.5",
            ["Framewire:MinDataRateGracePeriod"] = "00:00:01.5",
        });

        MessageServerOptions options = host.Services.GetRequiredService<IOptions<FramewireServerOptions>>().Value.ToMessageServerOptions();
        MessageServerOptions defaults = new FramewireServerOptions().ToMessageServerOptions();

        Assert.Equal((4, 16384L, 2097152L, 1000.5, TimeSpan.FromSeconds(1.5)), (options.MaxInFlight, options.SendHighWater, options.SendLimit, options.MinDataRate, options.MinDataRateGracePeriod));
        Assert.Equal((16, 65536L, 1048576L, 240.0, TimeSpan.FromSeconds(5)), (defaults.MaxInFlight, defaults.SendHighWater, defaults.SendLimit, defaults.MinDataRate, defaults.MinDataRateGracePeriod));
    }

    [Theory]
    [InlineData("MaxInFlight", "0", "MaxInFlight is 0; it must be at least 1.")]
    [InlineData("SendLimit", "1024", "SendLimit is 1024; it must be at least SendHighWater (65536).")]
    [InlineData("SendHighWater", "0", "SendHighWater is 0; it must be at least 1.")]
    [InlineData("MinDataRate", "-1", "MinDataRate is -1; it must be 0 (no minimum) or more bytes per second.")]
    [InlineData("MinDataRateGracePeriod", "-00:00:01", "MinDataRateGracePeriod is -1 s; it must be 0 s or more.")]
    [InlineData("MaxConnections", "0", "MaxConnections is 0; it must be at least 1.")]
    [InlineData("IdleTimeout", "-00:00:01", "IdleTimeout is -1 s; it must be 0 s (never) or more.")]
    [InlineData("FrameTimeout", "-00:00:01", "FrameTimeout is -1 s; it must be 0 s (never) or more.")]
    [InlineData("WorkerThreads", "0", "WorkerThreads is 0; it must be at least 1.")]
    [InlineData("MaxHeaderLength", "70000", "MaxHeaderLength is 70000; it must be between 1 and 65535 bytes (the prefix is 2 bytes).")]
    public async Task Host_BadLimit_FailsToStartWithTheLibrarysSentence(string key, string value, string sentence)
    {
        using IHost host = Build(new() { ["Framewire:" + key] = value });

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("The Framewire section: " + sentence, Assert.Single(e.Failures));
    }

    [Fact]
    public async Task Host_BadPort_FailsToStartNamingTheSection()
    {
        using IHost host = Build(new() { ["Framewire:Port"] = "70000" });

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Framewire section", e.Message, StringComparison.Ordinal);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddFramewireServer<SearchHandler>();
        return builder.Build();
    }
}
