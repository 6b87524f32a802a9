using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Framewire.Selectors;

namespace Framewire.Cli.Bench;

/// <summary>The loop's connections' lives: connects, failures and reconnects, the watchdog, and the end of each.</summary>
internal sealed partial class SelectorLoop
{
    /// <summary>Oneshot: takes the next request, stamped before the connect so that its latency includes the setup, and connects for it.</summary>
    private void StartRequest(SelectorConnection connection, long now)
    {
        ReadOnlyMemory<byte> request = connection.Connection.NextBatch(now);
        if (request.IsEmpty)
        {
            Finish(connection);
            return;
        }

        connection.Unsent = request;
        Connect(connection, now);
    }

    private void Connect(SelectorConnection connection, long now)
    {
        Socket socket = Endpoints.CreateSocket(_endPoint);
        connection.Connection.Socket = socket;
        if (!_oneshot)
        {
            connection.Connection.BeginConnect(now);
        }

        SocketError started = NonBlockingConnect.Start(socket, _endPoint);
        if (started == SocketError.InProgress)
        {
            Register(connection, socket, SelectorEvents.Write);
            connection.State = SelectorConnectionState.Connecting;
            return;
        }

        if (started != SocketError.Success)
        {
            Fail(connection, ErrorKind.Connect, "connect failed: " + new SocketException((int)started).Message, now);
            return;
        }

        Register(connection, socket, SelectorEvents.Read);
        Connected(connection, now);
    }

    private void FinishConnect(SelectorConnection connection)
    {
        SocketError connected = NonBlockingConnect.Finish(connection.Registered!);
        long now = Stopwatch.GetTimestamp();
        if (connected != SocketError.Success)
        {
            Fail(connection, ErrorKind.Connect, "connect failed: " + new SocketException((int)connected).Message, now);
            return;
        }

        _selector!.Modify(connection.Registered!, SelectorEvents.Read);
        Connected(connection, now);
    }

    private void Connected(SelectorConnection connection, long now)
    {
        if (_tls is null)
        {
            Start(connection, now);
            return;
        }

        _tls.Start(connection);
        AdvanceHandshake(connection, SelectorEvents.None);
    }

    /// <summary>Connected, and with TLS past the handshake: reads answers and sends the first requests.</summary>
    private void Start(SelectorConnection connection, long now)
    {
        connection.State = SelectorConnectionState.Open;
        if (connection.Tls is { } tls)
        {
            ReadTls(connection);
            if (!IsCurrent(connection, tls))
            {
                return;
            }
        }

        if (_oneshot)
        {
            ReadOnlyMemory<byte> request = connection.Unsent;
            connection.Unsent = default;
            Send(connection, request, now);
            return;
        }

        connection.Connection.EndConnect();
        SendNext(connection, now);
    }

    /// <summary>
    /// Counts the connection's requests in flight as failed and goes on with a new socket (oneshot: with its next
    /// request): at once after a failed exchange, <see cref="ReconnectDelay"/> later after a failed connect, which
    /// also keeps a connect that fails at once (a Unix socket's) from recursing.
    /// </summary>
    private void Fail(SelectorConnection connection, ErrorKind kind, string? detail, long now)
    {
        if (connection.Registered is not null)
        {
            Unregister(connection);
        }

        connection.Unsent = default;
        connection.Connection.Fail(kind, detail);
        if (!_run.CanSend(now))
        {
            Finish(connection);
        }
        else if (kind == ErrorKind.Connect)
        {
            connection.State = SelectorConnectionState.Waiting;
            connection.RetryAt = now + ReconnectDelay;
            _waiting++;
        }
        else
        {
            Reopen(connection, now);
        }
    }

    private void Reopen(SelectorConnection connection, long now)
    {
        if (_oneshot)
        {
            StartRequest(connection, now);
        }
        else
        {
            Connect(connection, now);
        }
    }

    private void RetryConnects(long now)
    {
        foreach (SelectorConnection connection in _connections)
        {
            if (connection.State == SelectorConnectionState.Waiting && (now >= connection.RetryAt || !_run.CanSend(now)))
            {
                _waiting--;
                if (_run.CanSend(now))
                {
                    Reopen(connection, now);
                }
                else
                {
                    Finish(connection);
                }
            }
        }
    }

    /// <summary>
    /// The watchdog: fails connections whose requests (or connect) have waited longer than the timeout. At
    /// <c>--rate</c> it also paces, so that an interrupted run's idle connections finish without waiting for the timer.
    /// </summary>
    private void Sweep(long now)
    {
        if (_paced)
        {
            Pace(now);
        }

        foreach (SelectorConnection connection in _connections)
        {
            if ((connection.State is SelectorConnectionState.Open or SelectorConnectionState.Connecting or SelectorConnectionState.Handshaking)
                && connection.Connection.IsOverdue(now))
            {
                Fail(connection, ErrorKind.Timeout, string.Create(CultureInfo.InvariantCulture, $"no answer within {(double)_run.TimeoutTicks / Stopwatch.Frequency:0.###} s"), now);
            }
        }
    }

    /// <summary>Oneshot: ends the connection of an answered request.</summary>
    private void Close(SelectorConnection connection)
    {
        Socket socket = connection.Registered!;
        Unregister(connection);
        connection.Connection.Socket = null;
        socket.Dispose();
    }

    private void Finish(SelectorConnection connection)
    {
        if (connection.State == SelectorConnectionState.Done)
        {
            return;
        }

        if (connection.Registered is not null)
        {
            Unregister(connection);
        }

        connection.State = SelectorConnectionState.Done;
        _active--;
    }

    private void Register(SelectorConnection connection, Socket socket, SelectorEvents events)
    {
        _selector!.Register(socket, events, connection);
        connection.OnRegistered(socket);
    }

    /// <summary>Takes the socket off the selector; its TLS session, if any, ends with it.</summary>
    private void Unregister(SelectorConnection connection)
    {
        _selector!.Unregister(connection.Registered!);
        connection.OnUnregistered();
        connection.EndTls();
    }
}
