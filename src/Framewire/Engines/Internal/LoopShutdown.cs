using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Framewire.Engines.Internal;

/// <summary>How a loop engine stops: the same order for every engine whose connections live on loop threads.</summary>
internal static class LoopShutdown
{
    /// <summary>
    /// Stops accepting on every loop, closes the listening sockets once no loop holds them, lets each loop drain its
    /// connections within <paramref name="shutdownTimeout"/>, aborts what is left, and disposes the loops.
    /// </summary>
    public static async Task StopAsync<TListener, TLoop>(
        IReadOnlyList<TListener> listeners,
        IReadOnlyList<Socket> listenerSockets,
        TLoop[] loops,
        TimeSpan shutdownTimeout,
        Func<int> connectionCount,
        ILogger logger,
        CancellationToken cancellationToken)
        where TListener : IServerListener
        where TLoop : IServerLoop
    {
        ServerLog.Stopping(logger, connectionCount());
        using var unregistered = new CountdownEvent(listeners.Count);
        foreach (TListener listener in listeners)
        {
            listener.Loop.Post(() => listener.StopAccepting(() => unregistered.Signal()));
        }

        // A listening socket is closed only once no loop watches it, or holds an accept on it, any more.
        await Task.Run(() => unregistered.Wait(shutdownTimeout), CancellationToken.None).ConfigureAwait(false);
        foreach (Socket socket in listenerSockets)
        {
            socket.Dispose();
        }

        foreach (TLoop loop in loops)
        {
            loop.Post(loop.BeginShutdown);
        }

        Task drained = Task.WhenAll(Array.ConvertAll(loops, loop => loop.Stopped));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(shutdownTimeout);
        try
        {
            await drained.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ServerLog.AbortingConnections(logger, connectionCount());
            foreach (TLoop loop in loops)
            {
                loop.Post(loop.Abort);
            }

            await drained.ConfigureAwait(false);
        }

        foreach (TLoop loop in loops)
        {
            loop.Dispose();
        }
    }
}
