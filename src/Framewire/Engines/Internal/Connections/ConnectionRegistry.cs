using Framewire.Protocol;

namespace Framewire.Engines.Internal.Connections;

/// <summary>
/// A server's open connections and the totals of those that closed, for <see cref="MessageServer.GetConnections"/>
/// and <see cref="MessageServer.GetStatistics"/>. The lock is taken once when a connection opens and once when it
/// closes, and by readers; never per message. The open connections are a list threaded through their own figures
/// (<see cref="ConnectionStats.Previous"/>, <see cref="ConnectionStats.Next"/>): two references each, where a dictionary
/// entry with its growth slack cost some 40 bytes per idle connection.
/// </summary>
internal sealed class ConnectionRegistry
{
    private static readonly int s_errorCodeCount = Enum.GetValues<ErrorCode>().Length;
    private static readonly int s_closeReasonCount = Enum.GetValues<CloseReason>().Length;

    private readonly Lock _lock = new();
    private ConnectionStats? _first;
    private int _openCount;
    private readonly long[] _errors = new long[s_errorCodeCount];
    private readonly long[] _closes = new long[s_closeReasonCount];
    private long _closedBytesReceived;
    private long _closedBytesSent;
    private long _closedFramesReceived;
    private long _closedFramesSent;

    /// <summary>The server's meter, which its connections record their bytes in; none in some tests.</summary>
    public ServerMetrics? Metrics { get; init; }

    public void Add(ConnectionStats connection)
    {
        lock (_lock)
        {
            connection.Next = _first;
            if (_first is not null)
            {
                _first.Previous = connection;
            }

            _first = connection;
            connection.Registered = true;
            _openCount++;
        }
    }

    /// <summary>Moves a closed connection's figures into the totals, and counts why it closed.</summary>
    public void Remove(ConnectionStats connection, CloseReason reason)
    {
        lock (_lock)
        {
            if (connection.Registered)
            {
                Unlink(connection);
                _closes[(int)reason]++;
                _closedBytesReceived += connection.BytesReceived;
                _closedBytesSent += connection.BytesSent;
                _closedFramesReceived += connection.FramesReceived;
                _closedFramesSent += connection.FramesSent;
            }
        }
    }

    public void Error(ErrorCode code)
    {
        if ((uint)code < (uint)_errors.Length)
        {
            Interlocked.Increment(ref _errors[(int)code]);
        }
    }

    public IReadOnlyList<ConnectionSnapshot> GetConnections()
    {
        lock (_lock)
        {
            var snapshots = new List<ConnectionSnapshot>(_openCount);
            for (ConnectionStats? connection = _first; connection is not null; connection = connection.Next)
            {
                snapshots.Add(connection.ToSnapshot());
            }

            snapshots.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            return snapshots;
        }
    }

    public ServerStatistics GetStatistics(ServerEngine engine, long acceptedTotal)
    {
        var errors = new Dictionary<ErrorCode, long>();
        for (int i = 0; i < _errors.Length; i++)
        {
            long count = Interlocked.Read(ref _errors[i]);
            if (count > 0)
            {
                errors[(ErrorCode)i] = count;
            }
        }

        lock (_lock)
        {
            var closes = new Dictionary<CloseReason, long>();
            for (int i = 0; i < _closes.Length; i++)
            {
                if (_closes[i] > 0)
                {
                    closes[(CloseReason)i] = _closes[i];
                }
            }

            long bytesReceived = _closedBytesReceived, bytesSent = _closedBytesSent, framesReceived = _closedFramesReceived, framesSent = _closedFramesSent;
            for (ConnectionStats? connection = _first; connection is not null; connection = connection.Next)
            {
                bytesReceived += connection.BytesReceived;
                bytesSent += connection.BytesSent;
                framesReceived += connection.FramesReceived;
                framesSent += connection.FramesSent;
            }

            return new ServerStatistics(engine, errors, closes)
            {
                ActiveConnections = _openCount,
                AcceptedConnections = acceptedTotal,
                BytesReceived = bytesReceived,
                BytesSent = bytesSent,
                FramesReceived = framesReceived,
                FramesSent = framesSent,
            };
        }
    }

    private void Unlink(ConnectionStats connection)
    {
        if (connection.Previous is null)
        {
            _first = connection.Next;
        }
        else
        {
            connection.Previous.Next = connection.Next;
        }

        if (connection.Next is not null)
        {
            connection.Next.Previous = connection.Previous;
        }

        connection.Previous = connection.Next = null;
        connection.Registered = false;
        _openCount--;
    }
}
