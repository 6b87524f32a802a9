using System.Buffers;
using Framewire.Engines.Internal.Connections;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal.Uring;

/// <summary>
/// One thread, one io_uring: each turn submits every request queued since the last one and waits for completions in
/// the same <c>io_uring_enter</c>, then hands each completion to the listener or connection it belongs to, then runs
/// the timers that are due. Other threads hand work to the loop with <see cref="Post"/>, which rings an eventfd the
/// ring polls. A request's user data is its item's slot and what it was for; a slot is reused only once every
/// request of its item has completed, so no completion reaches the wrong connection.
/// </summary>
internal sealed unsafe class UringLoop : IServerLoop
{
    // Submissions per turn before the queue is flushed early; completions four times that, as multishot requests post
    // several each (the kernel keeps any overflow, IORING_FEAT_NODROP, so this is speed, not correctness).
    private const uint SubmissionEntries = 1024;
    private const uint CompletionEntries = 4 * SubmissionEntries;

    // How long the loop waits, once stopped, for the kernel to finish the requests it cancelled: they complete
    // within microseconds; the bound only keeps a broken kernel from hanging the stop.
    private const long DrainTimeoutMs = 2000;

    private readonly Ring _ring;
    private readonly BufferRing _buffers;
    private readonly LoopWork _work;
    private readonly HashSet<UringConnection> _connections = [];
    private readonly List<(UringConnection Connection, ConnectionClose Due)> _expired = [];
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private readonly Doorbell _doorbell;
    private IUringItem?[] _items = new IUringItem?[64];
    private readonly Stack<int> _freeSlots = new();
    private int _nextSlot = 1;
    private long _inFlight;
    private bool _exitWhenIdle;
    private bool _exit;
    private bool _ending;

    public UringLoop(int index, ILogger logger)
    {
        _logger = logger;
        _ring = Ring.Create(SubmissionEntries, CompletionEntries);
        try
        {
            _buffers = BufferRing.Register(_ring.Fd);
        }
        catch
        {
            _ring.Dispose();
            throw;
        }

        try
        {
            _work = new LoopWork();
        }
        catch
        {
            _buffers.Dispose();
            _ring.Dispose();
            throw;
        }

        _doorbell = new Doorbell(this);
        _doorbell.Slot = Add(_doorbell);
        _thread = new Thread(Run) { IsBackground = true, Name = $"Framewire uring loop {index}" };
    }

    /// <summary>Completes when the loop thread has ended.</summary>
    public Task Stopped => _stopped.Task;

    public BufferRing Buffers => _buffers;

    /// <summary>
    /// The loop's own pool for its connections' output and kept input. Sends stay in the ring across a whole turn,
    /// so a loop holds one output buffer per busy connection at once, more than the shared pool keeps per thread:
    /// there a busy loop would allocate a buffer for most sends. Bounded: arrays up to 64 KiB (the default send high
    /// water), 128 of each size.
    /// </summary>
    public ArrayPool<byte> Pool { get; } = ArrayPool<byte>.Create(64 * 1024, 128);

    public void Start() => _thread.Start();

    /// <inheritdoc cref="LoopWork.Post"/>
    public void Post(Action action) => _work.Post(action);

    /// <inheritdoc cref="LoopWork.Schedule"/>
    public void Schedule(TimeSpan delay, Action action) => _work.Schedule(delay, action);

    /// <inheritdoc cref="LoopWork.StartSweeping"/>
    public void StartSweeping(TimeSpan interval) => _work.StartSweeping(interval, Sweep);

    /// <summary>Gives <paramref name="item"/> a slot for its requests' user data. Loop thread (or before start).</summary>
    public int Add(IUringItem item)
    {
        int slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _nextSlot++;
        if (slot >= _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[slot] = item;
        return slot;
    }

    /// <summary>Frees a slot whose item has no request left in the ring.</summary>
    public void Free(int slot)
    {
        _items[slot] = null;
        _freeSlots.Push(slot);
    }

    public void Track(UringConnection connection) => _connections.Add(connection);

    public void Untrack(UringConnection connection) => _connections.Remove(connection);

    public void SubmitAccept(int slot, int listenFd)
    {
        Sqe* sqe = Next(slot, UringOp.Accept);
        sqe->Opcode = UringAbi.OpAccept;
        sqe->Fd = listenFd;
        sqe->IoPrio = UringAbi.AcceptMultishot;

        // Blocking sockets: io_uring waits for them itself, and returns EAGAIN to the caller for an O_NONBLOCK one.
        sqe->OpFlags = UringAbi.SockCloExec;
    }

    /// <summary>A multishot receive into the provided buffers: one completion per arrival, until it ends.</summary>
    public void SubmitReceive(int slot, int fd)
    {
        Sqe* sqe = Next(slot, UringOp.Receive);
        sqe->Opcode = UringAbi.OpRecv;
        sqe->Fd = fd;
        sqe->IoPrio = UringAbi.RecvMultishot;
        sqe->Flags = UringAbi.SqeBufferSelect;
        sqe->BufferGroup = BufferRing.GroupId;
    }

    public void SubmitSend(int slot, int fd, byte* buffer, int length)
    {
        Sqe* sqe = Next(slot, UringOp.Send);
        sqe->Opcode = UringAbi.OpSend;
        sqe->Fd = fd;
        sqe->Address = (ulong)buffer;
        sqe->Length = (uint)length;
        sqe->OpFlags = UringAbi.MsgNoSignal;
    }

    /// <summary>Cancels the request of <paramref name="slot"/> that was for <paramref name="target"/>.</summary>
    public void SubmitCancel(int slot, UringOp target)
    {
        Sqe* sqe = Next(slot, UringOp.Cancel);
        sqe->Opcode = UringAbi.OpAsyncCancel;
        sqe->Address = UserData(slot, target);
    }

    /// <summary>Asks every connection to finish what it has and close; the loop ends when none is left. Loop thread only.</summary>
    public void BeginShutdown()
    {
        _exitWhenIdle = true;
        foreach (UringConnection connection in _connections.ToArray())
        {
            connection.BeginShutdown();
        }
    }

    /// <summary>Closes every connection at once and ends the loop. Loop thread only.</summary>
    public void Abort()
    {
        foreach (UringConnection connection in _connections.ToArray())
        {
            connection.Abort();
        }

        _exit = true;
    }

    public void Dispose()
    {
        _ring.Dispose();
        _buffers?.Dispose();
        _work.Dispose();
    }

    private static ulong UserData(int slot, UringOp op) => ((ulong)(uint)slot << 8) | (byte)op;

    private Sqe* Next(int slot, UringOp op)
    {
        Sqe* sqe = _ring.Next();
        sqe->UserData = UserData(slot, op);
        _inFlight++;
        return sqe;
    }

    private void Run()
    {
        try
        {
            _ring.Enable();
            _doorbell.Arm();
            while (!_exit && !(_exitWhenIdle && _connections.Count == 0))
            {
                _ring.Wait(_work.NextTimeoutMs());
                var dispatcher = new Dispatcher(this);
                _ring.Drain(ref dispatcher);
                _work.RunDueTimers();
            }

            EndRequests();
        }
        catch (Exception e)
        {
            ServerLog.LoopFailed(_logger, _thread.Name ?? "loop", e);
            _stopped.TrySetException(e);
            return;
        }

        _stopped.TrySetResult();
    }

    /// <summary>
    /// Cancels whatever is still in the ring and waits for it to complete, so that no receive can write into the
    /// buffers, nor a send read an output buffer, once the loop lets them go.
    /// </summary>
    private void EndRequests()
    {
        _ending = true;
        Sqe* sqe = Next(0, UringOp.Cancel);
        sqe->Opcode = UringAbi.OpAsyncCancel;
        sqe->OpFlags = UringAbi.CancelAllAny;
        long deadline = Environment.TickCount64 + DrainTimeoutMs;
        while (_inFlight > 0 && Environment.TickCount64 < deadline)
        {
            _ring.Wait(100);
            var dispatcher = new Dispatcher(this);
            _ring.Drain(ref dispatcher);
        }
    }

    private void Sweep()
    {
        long now = Environment.TickCount64;
        foreach (UringConnection connection in _connections)
        {
            if (connection.Due(now) is ConnectionClose due)
            {
                _expired.Add((connection, due));
            }
        }

        foreach ((UringConnection connection, ConnectionClose due) in _expired)
        {
            connection.Expire(due);
        }

        _expired.Clear();
    }

    private struct Dispatcher(UringLoop loop) : ICompletionHandler
    {
        public readonly void OnCompletion(ulong userData, int result, uint flags)
        {
            if ((flags & UringAbi.CqeFMore) == 0)
            {
                loop._inFlight--;
            }

            if ((flags & UringAbi.CqeFBuffer) != 0)
            {
                loop._buffers?.Taken();
            }

            int slot = (int)(userData >> 8);
            if (slot != 0)
            {
                loop._items[slot]?.OnCompletion((UringOp)(byte)userData, result, flags);
            }
        }
    }

    /// <summary>The eventfd that <see cref="Post"/> rings, polled by a multishot poll request.</summary>
    private sealed class Doorbell(UringLoop loop) : IUringItem
    {
        public int Slot { get; set; }

        public void Arm()
        {
            Sqe* sqe = loop.Next(Slot, UringOp.Poll);
            sqe->Opcode = UringAbi.OpPollAdd;
            sqe->Fd = loop._work.DoorbellFd;
            sqe->Length = UringAbi.PollAddMulti;
            sqe->OpFlags = UringAbi.PollIn;
        }

        public void OnCompletion(UringOp op, int result, uint flags)
        {
            if (loop._ending)
            {
                return;
            }

            loop._work.RunPosted();
            if ((flags & UringAbi.CqeFMore) == 0)
            {
                Arm();
            }
        }
    }
}
