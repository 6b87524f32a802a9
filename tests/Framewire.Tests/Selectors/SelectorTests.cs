using System.Diagnostics;
using System.Net.Sockets;
using Framewire.Selectors;

namespace Framewire.Tests.Selectors;

/// <summary>Every selector implementation available here, on real loopback sockets.</summary>
public class SelectorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static TheoryData<string> All => SelectorKinds.All;

    public static TheoryData<string> Native => SelectorKinds.Native;

    [Theory]
    [MemberData(nameof(All))]
    public void Select_ClientConnects_ListenerReportsRead(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        selector.Register(loopback.Listener, SelectorEvents.Read);
        Assert.Equal(0, selector.Select(TimeSpan.Zero).Length);

        loopback.ConnectClient();

        Assert.Equal(SelectorEvents.Read, WaitFor(selector, loopback.Listener, SelectorEvents.Read));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Select_ConnectedSocket_ReportsWrite(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (_, Socket server) = loopback.Connect();
        selector.Register(server, SelectorEvents.Write);

        Assert.Equal(SelectorEvents.Write, WaitFor(selector, server, SelectorEvents.Write));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Select_PeerSendsData_ReportsRead(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (Socket client, Socket server) = loopback.Connect();
        selector.Register(server, SelectorEvents.Read);
        Assert.Equal(0, selector.Select(TimeSpan.Zero).Length);

        client.Send("ping"u8);

        Assert.Equal(SelectorEvents.Read, WaitFor(selector, server, SelectorEvents.Read));
        Assert.Equal(4, server.Receive(new byte[16]));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Select_PeerCloses_ReportsReadAndReceiveReturnsZero(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (Socket client, Socket server) = loopback.Connect();
        selector.Register(server, SelectorEvents.Read);

        client.Dispose();

        Assert.Equal(SelectorEvents.Read, WaitFor(selector, server, SelectorEvents.Read));
        Assert.Equal(0, server.Receive(new byte[16]));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Select_ReadableAndWritable_ReportsBothInOneEvent(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (Socket client, Socket server) = loopback.Connect();
        selector.Register(server, SelectorEvents.Read | SelectorEvents.Write);

        client.Send("ping"u8);
        WaitFor(selector, server, SelectorEvents.Read | SelectorEvents.Write);
        ReadOnlySpan<SelectorEvent> ready = selector.Select(TimeSpan.Zero);

        SelectorEvent only = Assert.Single(ready.ToArray());
        Assert.Same(server, only.Key.Socket);
        Assert.Equal(SelectorEvents.Read | SelectorEvents.Write, only.Events);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Modify_WriteInterestRemoved_WriteNoLongerReported(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (_, Socket server) = loopback.Connect();
        SelectorKey key = selector.Register(server, SelectorEvents.Read | SelectorEvents.Write);
        Assert.Equal(SelectorEvents.Write, WaitFor(selector, server, SelectorEvents.Write));

        SelectorKey modified = selector.Modify(server, SelectorEvents.Read);

        Assert.Same(key, modified);
        Assert.Equal(SelectorEvents.Read, key.Events);
        Assert.Equal(0, selector.Select(TimeSpan.Zero).Length);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Modify_WriteInterestAdded_WriteReported(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (_, Socket server) = loopback.Connect();
        selector.Register(server, SelectorEvents.Read);
        Assert.Equal(0, selector.Select(TimeSpan.Zero).Length);

        selector.Modify(server, SelectorEvents.Read | SelectorEvents.Write);

        Assert.Equal(SelectorEvents.Write, WaitFor(selector, server, SelectorEvents.Write));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Unregister_ReadySocket_NoLongerReported(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (Socket client, Socket server) = loopback.Connect();
        SelectorKey key = selector.Register(server, SelectorEvents.Read);
        client.Send("ping"u8);
        WaitFor(selector, server, SelectorEvents.Read);

        SelectorKey removed = selector.Unregister(server);

        Assert.Same(key, removed);
        Assert.Equal(0, selector.Select(TimeSpan.Zero).Length);
        Assert.False(selector.TryGetKey(server, out _));
        Assert.Equal(0, selector.Count);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Unregister_SocketDisposedWhileRegistered_RemovesTheRegistration(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (_, Socket server) = loopback.Connect();
        selector.Register(server, SelectorEvents.Read);
        server.Dispose();

        selector.Unregister(server);

        Assert.Equal(0, selector.Count);

        // The next socket usually gets the closed one's descriptor number; it must register as new.
        (Socket client, Socket next) = loopback.Connect();
        selector.Register(next, SelectorEvents.Read);
        client.Send("ping"u8);
        Assert.Equal(SelectorEvents.Read, WaitFor(selector, next, SelectorEvents.Read));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Register_AfterUnregister_EventsFindTheirOwnKeys(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        var pairs = new List<(Socket Client, Socket Server)>();
        for (int i = 0; i < 4; i++)
        {
            pairs.Add(loopback.Connect());
        }

        // Slots are reused after an unregistration, and poll-like tables move their last entry into the hole.
        selector.Register(pairs[0].Server, SelectorEvents.Read, "0");
        selector.Register(pairs[1].Server, SelectorEvents.Read, "1");
        selector.Register(pairs[2].Server, SelectorEvents.Read, "2");
        selector.Unregister(pairs[0].Server);
        selector.Register(pairs[3].Server, SelectorEvents.Read, "3");
        foreach ((Socket client, _) in pairs)
        {
            client.Send("x"u8);
        }

        Dictionary<Socket, SelectorKey> seen = Collect(selector, expected: 3);

        Assert.Equal(["1", "2", "3"], seen.Values.Select(key => (string)key.Data!).Order());
        foreach ((Socket socket, SelectorKey key) in seen)
        {
            Assert.Same(socket, key.Socket);
            Assert.Same(selector.GetKey(socket), key);
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Register_WithData_DataRoundTrips(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (_, Socket server) = loopback.Connect();
        object first = new();
        object second = new();

        SelectorKey key = selector.Register(server, SelectorEvents.Write, first);
        Assert.Same(first, key.Data);
        WaitFor(selector, server, SelectorEvents.Write);
        Assert.Same(first, selector.Select(TimeSpan.Zero)[0].Key.Data);

        selector.Modify(server, SelectorEvents.Write, second);
        Assert.Same(second, selector.GetKey(server).Data);

        selector.Modify(server, SelectorEvents.Read);
        Assert.Same(second, key.Data);

        selector.Modify(server, SelectorEvents.Read, null);
        Assert.Null(key.Data);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void GetMap_RegistrationsChange_MapFollows(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (Socket a, Socket b) = loopback.Connect();
        IReadOnlyDictionary<Socket, SelectorKey> map = selector.GetMap();
        Assert.Empty(map);

        SelectorKey keyA = selector.Register(a, SelectorEvents.Read, "a");
        SelectorKey keyB = selector.Register(b, SelectorEvents.Write, "b");
        selector.Register(loopback.Listener, SelectorEvents.Read);

        Assert.Equal(3, selector.Count);
        Assert.Equal(3, map.Count);
        Assert.Same(keyA, map[a]);
        Assert.Same(keyB, map[b]);
        Assert.Same(a, keyA.Socket);
        Assert.Equal(a.Handle, keyA.Handle);
        Assert.Equal(SelectorEvents.Write, keyB.Events);

        selector.Unregister(a);

        Assert.Equal(2, selector.Count);
        Assert.False(map.ContainsKey(a));
        Assert.Same(keyB, selector.GetKey(b));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Select_NothingReady_ReturnsEmptyAfterTheTimeout(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        selector.Register(loopback.Listener, SelectorEvents.Read);
        var clock = Stopwatch.StartNew();

        int count = selector.Select(TimeSpan.FromMilliseconds(200)).Length;

        Assert.Equal(0, count);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"returned after {clock.Elapsed}");
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Select_NothingRegistered_ReturnsEmptyAfterTheTimeout(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        var clock = Stopwatch.StartNew();

        int count = selector.Select(TimeSpan.FromMilliseconds(100)).Length;

        Assert.Equal(0, count);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(75), $"returned after {clock.Elapsed}");
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Select_ZeroTimeout_ReturnsWithoutBlocking(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        selector.Register(loopback.Listener, SelectorEvents.Read);

        // On another thread, so that a selector that blocked would fail the test (TimeoutException) instead of hanging it.
        int count = await Task.Run(() => selector.Select(TimeSpan.Zero).Length).WaitAsync(Patience);

        Assert.Equal(0, count);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Register_Twice_ThrowsArgumentException(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        SelectorKey key = selector.Register(loopback.Listener, SelectorEvents.Read, "first");

        var e = Assert.Throws<ArgumentException>(() => selector.Register(loopback.Listener, SelectorEvents.Write, "second"));

        Assert.Contains("already registered", e.Message, StringComparison.Ordinal);
        Assert.Same(key, selector.GetKey(loopback.Listener));
        Assert.Equal(SelectorEvents.Read, key.Events);
        Assert.Equal("first", key.Data);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Unregister_UnknownSocket_ThrowsKeyNotFound(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();

        Assert.Throws<KeyNotFoundException>(() => selector.Unregister(loopback.Listener));
        Assert.Throws<KeyNotFoundException>(() => selector.Modify(loopback.Listener, SelectorEvents.Read));
        Assert.Throws<KeyNotFoundException>(() => selector.Modify(loopback.Listener, SelectorEvents.Read, null));
        Assert.Throws<KeyNotFoundException>(() => selector.GetKey(loopback.Listener));
        Assert.False(selector.TryGetKey(loopback.Listener, out _));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Register_InvalidEvents_ThrowsArgumentException(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (Socket client, Socket server) = loopback.Connect();
        selector.Register(server, SelectorEvents.Read);

        foreach (SelectorEvents invalid in new[] { SelectorEvents.None, (SelectorEvents)4, (SelectorEvents)7 })
        {
            Assert.Throws<ArgumentException>(() => selector.Register(client, invalid));
            Assert.Throws<ArgumentException>(() => selector.Modify(server, invalid));
        }

        Assert.Equal(1, selector.Count);
        Assert.Equal(SelectorEvents.Read, selector.GetKey(server).Events);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Register_DisposedSocket_ThrowsObjectDisposed(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (_, Socket server) = loopback.Connect();
        server.Dispose();

        Assert.Throws<ObjectDisposedException>(() => selector.Register(server, SelectorEvents.Read));
        Assert.Equal(0, selector.Count);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Dispose_ThenAnyUse_ThrowsObjectDisposedAndSocketsStayOpen(string kind)
    {
        Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (Socket client, Socket server) = loopback.Connect();
        selector.Register(server, SelectorEvents.Read);

        selector.Dispose();
        selector.Dispose();

        Assert.Equal(0, selector.Count);
        Assert.Throws<ObjectDisposedException>(() => selector.Register(client, SelectorEvents.Read));
        Assert.Throws<ObjectDisposedException>(() => selector.Modify(server, SelectorEvents.Write));
        Assert.Throws<ObjectDisposedException>(() => selector.Unregister(server));
        Assert.Throws<ObjectDisposedException>(() => selector.Select(TimeSpan.Zero).Length);
        Assert.Throws<ObjectDisposedException>(() => selector.GetKey(server));
        Assert.Throws<ObjectDisposedException>(() => selector.GetMap());
        client.Send("ping"u8);
        Assert.True(server.Poll(Patience, SelectMode.SelectRead));
        Assert.Equal(4, server.Receive(new byte[16]));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Select_ManyConnections_AllReported(string kind)
    {
        const int Connections = 500;
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        var servers = new HashSet<Socket>();
        for (int i = 0; i < Connections; i++)
        {
            (Socket client, Socket server) = loopback.Connect();
            selector.Register(server, SelectorEvents.Read, i);
            servers.Add(server);
            client.Send("x"u8);
        }

        Dictionary<Socket, SelectorKey> seen = Collect(selector, Connections);

        Assert.True(servers.SetEquals(seen.Keys));
        Assert.Equal(Enumerable.Range(0, Connections), seen.Values.Select(key => (int)key.Data!).Order());
    }

    [Theory]
    [MemberData(nameof(Native))]
    public void Select_SteadyState_AllocatesNothing(string kind)
    {
        using Selector selector = SelectorKinds.Create(kind);
        using var loopback = new Loopback();
        (Socket client, Socket server) = loopback.Connect();
        (_, Socket idle) = loopback.Connect();
        selector.Register(server, SelectorEvents.Read | SelectorEvents.Write);
        selector.Register(idle, SelectorEvents.Read);
        client.Send("ping"u8);
        WaitFor(selector, server, SelectorEvents.Read);

        // Both timeout paths: a poll, and a timed wait that returns at once because the socket is ready.
        int reported = 0;
        for (int i = 0; i < 200; i++)
        {
            reported += selector.Select(TimeSpan.Zero).Length + selector.Select(Patience).Length;
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            reported += selector.Select(TimeSpan.Zero).Length + selector.Select(Patience).Length;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1400, reported);
        Assert.Equal(0, allocated);
    }

    /// <summary>Selects until <paramref name="socket"/> is ready for all of <paramref name="events"/>; returns what it was reported ready for.</summary>
    internal static SelectorEvents WaitFor(Selector selector, Socket socket, SelectorEvents events)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            foreach (SelectorEvent ready in selector.Select(TimeSpan.FromSeconds(1)))
            {
                if (ready.Key.Socket == socket && (ready.Events & events) == events)
                {
                    return ready.Events;
                }
            }
        }

        throw new TimeoutException($"The socket was not reported ready for {events}.");
    }

    /// <summary>Selects until <paramref name="expected"/> different sockets have been reported, each with its key.</summary>
    private static Dictionary<Socket, SelectorKey> Collect(Selector selector, int expected)
    {
        var seen = new Dictionary<Socket, SelectorKey>();
        var clock = Stopwatch.StartNew();
        while (seen.Count < expected && clock.Elapsed < Patience)
        {
            foreach (SelectorEvent ready in selector.Select(TimeSpan.FromSeconds(1)))
            {
                seen[ready.Key.Socket!] = ready.Key;
            }
        }

        return seen;
    }
}
