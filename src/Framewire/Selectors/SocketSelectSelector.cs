using System.Net.Sockets;

namespace Framewire.Selectors;

/// <summary>
/// A portable selector on <see cref="Socket.Select(System.Collections.IList, System.Collections.IList, System.Collections.IList, int)"/>,
/// the fallback <see cref="DefaultSelector"/> uses on Windows, like Python's <c>SelectSelector</c> there.
/// </summary>
/// <remarks>
/// Every wait hands the runtime the whole interest set and costs time in proportion to it, and
/// <see cref="Socket.Select(System.Collections.IList, System.Collections.IList, System.Collections.IList, int)"/> may
/// allocate: this selector is for correctness where nothing better exists, not for speed. Only sockets can be
/// registered.
/// </remarks>
public sealed class SocketSelectSelector : Selector
{
    private const int InitialCapacity = 16;

    // Socket.Select keeps in each list only the sockets that are ready; the lists are refilled for every wait.
    private readonly List<Socket> _checkRead = [];
    private readonly List<Socket> _checkWrite = [];
    private readonly List<Socket> _checkError = [];

    // _keys[i] is the key in slot i; _found[i] gathers what the three lists say about it.
    private SelectorKey?[] _keys = new SelectorKey?[InitialCapacity];
    private SelectorEvents[] _found = new SelectorEvents[InitialCapacity];
    private SelectorEvent[] _ready = new SelectorEvent[InitialCapacity];
    private int _count;
    private int _readyCount;

    private protected override void AddCore(SelectorKey key)
    {
        if (key.Socket is null)
        {
            throw new NotSupportedException("Socket.Select can only wait for sockets.");
        }

        if (_count == _keys.Length)
        {
            int capacity = _count * 2;
            Array.Resize(ref _keys, capacity);
            _found = new SelectorEvents[capacity];
            _ready = new SelectorEvent[capacity];
        }

        key.Slot = _count;
        _keys[_count++] = key;
    }

    private protected override void ModifyCore(SelectorKey key, SelectorEvents events)
    {
        // The lists are built from the keys for every wait; nothing else holds the interest.
    }

    private protected override void RemoveCore(SelectorKey key)
    {
        int slot = key.Slot;
        int last = --_count;
        if (slot != last)
        {
            SelectorKey moved = _keys[last]!;
            _keys[slot] = moved;
            moved.Slot = slot;
        }

        _keys[last] = null;
    }

    private protected override ReadOnlySpan<SelectorEvent> SelectCore(int timeoutMs)
    {
        Array.Clear(_ready, 0, _readyCount);
        _readyCount = 0;
        if (_count == 0)
        {
            // Socket.Select refuses empty lists; a selector with nothing registered just waits, as poll(2) would.
            Thread.Sleep(timeoutMs);
            return default;
        }

        for (int i = 0; i < _count; i++)
        {
            SelectorKey key = _keys[i]!;
            if ((key.Events & SelectorEvents.Read) != 0)
            {
                _checkRead.Add(key.Socket!);
            }

            if ((key.Events & SelectorEvents.Write) != 0)
            {
                _checkWrite.Add(key.Socket!);

                // Windows reports a failed non-blocking connect as an exception, not as writability; Python's
                // SelectSelector watches its write set for both for the same reason.
                _checkError.Add(key.Socket!);
            }
        }

        // Socket.Select takes microseconds in an int: a wait beyond 35 minutes ends early with nothing ready, which an
        // event loop, selecting in a loop and recomputing its timers, takes in its stride.
        int microseconds = timeoutMs < 0 ? -1 : (int)Math.Min(timeoutMs * 1000L, int.MaxValue);
        try
        {
            Socket.Select(_checkRead, _checkWrite, _checkError, microseconds);
            Collect(_checkRead, SelectorEvents.Read);
            Collect(_checkWrite, SelectorEvents.Write);
            Collect(_checkError, SelectorEvents.Write);
        }
        finally
        {
            _checkRead.Clear();
            _checkWrite.Clear();
            _checkError.Clear();
        }

        int found = 0;
        for (int i = 0; i < _count; i++)
        {
            if (_found[i] != SelectorEvents.None)
            {
                _ready[found++] = new SelectorEvent(_keys[i]!, _found[i]);
                _found[i] = SelectorEvents.None;
            }
        }

        _readyCount = found;
        return new ReadOnlySpan<SelectorEvent>(_ready, 0, found);
    }

    private protected override void DisposeCore()
    {
        Array.Clear(_keys);
        Array.Clear(_ready);
        _count = 0;
    }

    private void Collect(List<Socket> sockets, SelectorEvents events)
    {
        foreach (Socket socket in sockets)
        {
            _found[GetKey(socket).Slot] |= events;
        }
    }
}
