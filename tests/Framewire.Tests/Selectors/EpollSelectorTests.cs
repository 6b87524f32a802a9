using System.Net.Sockets;
using System.Runtime.Versioning;
using Framewire.Selectors;

namespace Framewire.Tests.Selectors;

[SupportedOSPlatform("linux")]
public class EpollSelectorTests
{
    [LinuxFact]
    public void Select_MoreReadyThanTheBuffer_ReportsEveryoneInTurn()
    {
        const int Connections = 100;
        const int MaxEvents = 16;
        using var selector = new EpollSelector(MaxEvents);
        using var loopback = new Loopback();
        var servers = new HashSet<Socket>();
        for (int i = 0; i < Connections; i++)
        {
            (Socket client, Socket server) = loopback.Connect();
            selector.Register(server, SelectorEvents.Read);
            servers.Add(server);
            client.Send("x"u8);
        }

        SelectorTests.WaitFor(selector, servers.First(), SelectorEvents.Read);
        var seen = new HashSet<Socket>();

        // Nothing is read, so every socket stays ready; the kernel's rotation must still reach them all within
        // Connections / MaxEvents calls (7 here). The bound leaves room for sockets that became ready late.
        int calls = 0;
        while (seen.Count < Connections && calls < 30)
        {
            ReadOnlySpan<SelectorEvent> ready = selector.Select(TimeSpan.FromSeconds(1));
            Assert.True(ready.Length <= MaxEvents);
            foreach (SelectorEvent e in ready)
            {
                seen.Add(e.Key.Socket!);
            }

            calls++;
        }

        Assert.True(servers.SetEquals(seen), $"{seen.Count} of {Connections} reported in {calls} calls");
    }

    [LinuxFact]
    public void Constructor_MaxEventsNotPositive_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpollSelector(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpollSelector(-1));
    }
}
