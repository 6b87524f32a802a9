using System.Net;
using Framewire.Apps;
using Framewire.Engines;
using Framewire.Protocol;

namespace Framewire.Tests.Engines;

/// <summary>
/// <see cref="MessageServerOptions.Validate"/>: every setting's range is checked once, in the library, and a bad one is
/// refused with a sentence naming it, its value and what it allows, before a server takes anything.
/// </summary>
public sealed class MessageServerOptionsTests
{
    public static TheoryData<string, string> BadSettings() => new()
    {
        { nameof(MessageServerOptions.MaxInFlight), "MaxInFlight is 0; it must be at least 1." },
        { nameof(MessageServerOptions.SendHighWater), "SendHighWater is 0; it must be at least 1." },
        { nameof(MessageServerOptions.SendLimit), "SendLimit is 1024; it must be at least SendHighWater (65536)." },
        { nameof(MessageServerOptions.MinDataRate), "MinDataRate is NaN; it must be 0 (no minimum) or more bytes per second." },
        { nameof(MessageServerOptions.MinDataRateGracePeriod), "MinDataRateGracePeriod is -0.5 s; it must be 0 s or more." },
        { nameof(MessageServerOptions.MaxConnections), "MaxConnections is 0; it must be at least 1." },
        { nameof(MessageServerOptions.IdleTimeout), "IdleTimeout is -2 s; it must be 0 s (never) or more." },
        { nameof(MessageServerOptions.FrameTimeout), "FrameTimeout is -2 s; it must be 0 s (never) or more." },
        { nameof(MessageServerOptions.ShutdownTimeout), "ShutdownTimeout is 3000000 s; it must be 0 s and at most 24.8 days, or infinite." },
        { nameof(MessageServerOptions.HandshakeTimeout), "HandshakeTimeout is 0 s; it must be more than 0 s and at most 24.8 days, or infinite." },
        { nameof(MessageServerOptions.LingerTimeout), "LingerTimeout is -2 s; it must be 0 s and at most 24.8 days, or infinite." },
        { nameof(MessageServerOptions.Loops), "Loops is -1; it must be 0 (one per processor) or more." },
        { nameof(MessageServerOptions.Backlog), "Backlog is 0; it must be 1 to 65535." },
        { nameof(MessageServerOptions.WorkerThreads), "WorkerThreads is 0; it must be at least 1." },
        { nameof(MessageServerOptions.WorkerQueueLength), "WorkerQueueLength is -1; it must be at least 1." },
        { nameof(MessageServerOptions.Engine), "Engine is 7; it must be Async, Selector or Uring." },
        { nameof(MessageServerOptions.EndPoint), "EndPoint is not set; it must be an address to listen on." },
    };

    [Fact]
    public void Validate_Defaults_Pass() => new MessageServerOptions().Validate();

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Validate_ZeroOrInfiniteTimeouts_PassAsDisabled(int milliseconds)
    {
        TimeSpan timeout = milliseconds == 0 ? TimeSpan.Zero : Timeout.InfiniteTimeSpan;
        new MessageServerOptions { IdleTimeout = timeout, FrameTimeout = timeout, ShutdownTimeout = timeout, MinDataRate = 0 }.Validate();
    }

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Validate_BadSetting_RefusedNamingItsValueAndRange(string option, string sentence)
    {
        OptionOutOfRangeException e = Assert.Throws<OptionOutOfRangeException>(() => WithBad(option).Validate());

        Assert.Equal(option, e.Option);
        Assert.Equal(option, e.ParamName);
        Assert.Equal(sentence, e.Message);
    }

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Constructor_BadSetting_RefusedBeforeAnythingRuns(string option, string sentence)
    {
        OptionOutOfRangeException e = Assert.Throws<OptionOutOfRangeException>(() => new MessageServer(new SearchHandler(), WithBad(option)));

        Assert.Equal(sentence, e.Message);
    }

    [Fact]
    public void Validate_BacklogAboveTheKernelsCounters_Refused()
    {
        OptionOutOfRangeException e = Assert.Throws<OptionOutOfRangeException>(() => new MessageServerOptions { Backlog = 65536 }.Validate());

        Assert.Equal("Backlog is 65536; it must be 1 to 65535.", e.Message);
    }

    [Fact]
    public void Describe_RelatedOption_NamedTheCallersWay()
    {
        OptionOutOfRangeException e = Assert.Throws<OptionOutOfRangeException>(() => WithBad(nameof(MessageServerOptions.SendLimit)).Validate());

        Assert.Equal(nameof(MessageServerOptions.SendHighWater), e.RelatedOption);
        Assert.Equal("--send-limit is 1024; it must be at least --send-high-water (65536).", e.Describe(name => name == "SendLimit" ? "--send-limit" : "--send-high-water"));
    }

    [Fact]
    public void FrameLimits_HeaderOverThePrefix_RefusedNamingTheLimit()
    {
        OptionOutOfRangeException e = Assert.Throws<OptionOutOfRangeException>(() => new FrameLimits { MaxHeaderLength = 65536 });

        Assert.Equal("MaxHeaderLength is 65536; it must be between 1 and 65535 bytes (the prefix is 2 bytes).", e.Message);
    }

    private static MessageServerOptions WithBad(string option)
    {
        var options = new MessageServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        switch (option)
        {
            case nameof(MessageServerOptions.MaxInFlight): options.MaxInFlight = 0; break;
            case nameof(MessageServerOptions.SendHighWater): options.SendHighWater = 0; break;
            case nameof(MessageServerOptions.SendLimit): options.SendLimit = 1024; break;
            case nameof(MessageServerOptions.MinDataRate): options.MinDataRate = double.NaN; break;
            case nameof(MessageServerOptions.MinDataRateGracePeriod): options.MinDataRateGracePeriod = TimeSpan.FromSeconds(-0.5); break;
            case nameof(MessageServerOptions.MaxConnections): options.MaxConnections = 0; break;
            case nameof(MessageServerOptions.IdleTimeout): options.IdleTimeout = TimeSpan.FromSeconds(-2); break;
            case nameof(MessageServerOptions.FrameTimeout): options.FrameTimeout = TimeSpan.FromSeconds(-2); break;
            case nameof(MessageServerOptions.ShutdownTimeout): options.ShutdownTimeout = TimeSpan.FromSeconds(3_000_000); break;
            case nameof(MessageServerOptions.HandshakeTimeout): options.HandshakeTimeout = TimeSpan.Zero; break;
            case nameof(MessageServerOptions.LingerTimeout): options.LingerTimeout = TimeSpan.FromSeconds(-2); break;
            case nameof(MessageServerOptions.Loops): options.Loops = -1; break;
            case nameof(MessageServerOptions.Backlog): options.Backlog = 0; break;
            case nameof(MessageServerOptions.WorkerThreads): options.WorkerThreads = 0; break;
            case nameof(MessageServerOptions.WorkerQueueLength): options.WorkerQueueLength = -1; break;
            case nameof(MessageServerOptions.Engine): options.Engine = (ServerEngine)7; break;
            case nameof(MessageServerOptions.EndPoint): options.EndPoint = null!; break;
            default: throw new ArgumentOutOfRangeException(nameof(option), option, "No bad value for this option.");
        }

        return options;
    }
}
