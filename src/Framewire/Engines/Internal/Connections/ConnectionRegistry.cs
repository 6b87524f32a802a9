using Framewire.Protocol;

namespace Framewire.Engines.Internal.Connections;

/// <summary>
/// A server's open connections and the totals of those that closed, for <see cref="MessageServer.GetConnections"/>
/// and <see cref="MessageServer.GetStatistics"/>. The lock is taken once when a connection opens and once when it
/// closes, and by readers; never per message.
/// </summary>
internal sealed class ConnectionRegistry
{
    private static readonly int s_errorCodeCount = Enum.GetValues<ErrorCode>().Length;
    private static readonly int s_closeReasonCount = Enum.GetValues<CloseReason>().Length;

    private readonly Lock _lock = new();
    private readonly Dictionary<long, ConnectionStats> _open = [];
    private readonly long[] _errors = new long[s_errorCodeCount];
    private readonly long[] _closes = new long[s_closeReasonCount];
    private long _closedBytesReceived;
    private long _closedBytesSent;
    private long _closedFramesReceived;
    private long _closedFramesSent;

    public void Add(ConnectionStats connection)
    {
        lock (_lock)
        {
            _open[connection.Id] = connection;
        }
    }

    /// <summary>Moves a closed connection's figures into the totals, and counts why it closed.</summary>
    public void Remove(ConnectionStats connection, CloseReason reason)
    {
        lock (_lock)
        {
            if (_open.Remove(connection.Id))
            {
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
            var snapshots = new List<ConnectionSnapshot>(_open.Count);
            foreach (ConnectionStats connection in _open.Values)
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
            foreach (ConnectionStats connection in _open.Values)
            {
                bytesReceived += connection.BytesReceived;
                bytesSent += connection.BytesSent;
                framesReceived += connection.FramesReceived;
                framesSent += connection.FramesSent;
            }

            return new ServerStatistics(engine, errors, closes)
            {
                ActiveConnections = _open.Count,
                AcceptedConnections = acceptedTotal,
                BytesReceived = bytesReceived,
                BytesSent = bytesSent,
                FramesReceived = framesReceived,
                FramesSent = framesSent,
            };
        }
    }
}
