using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace KestrelPeer;

/// <summary>Echo, pipe to pipe: copy what one read returned into the output pipe, then flush once.</summary>
internal sealed class EchoConnectionHandler : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        PipeReader input = connection.Transport.Input;
        PipeWriter output = connection.Transport.Output;

        // On shutdown Kestrel asks each connection to close; ending the read loop then lets the host stop at
        // once instead of aborting the connection after HostOptions.ShutdownTimeout.
        CancellationToken closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        using CancellationTokenRegistration onClose = closeRequested.UnsafeRegister(static reader => ((PipeReader)reader!).CancelPendingRead(), input);
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync();
                ReadOnlySequence<byte> buffer = result.Buffer;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    output.Write(segment.Span);
                }

                input.AdvanceTo(buffer.End);

                // One flush per read, not per segment: the pipe's pause threshold gives backpressure when the
                // client does not read its echoes.
                if (!buffer.IsEmpty && (await output.FlushAsync()).IsCompleted)
                {
                    break;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is ConnectionResetException or ConnectionAbortedException)
        {
            // Reset by the client (a load generator exiting with answers unread) or aborted: a normal end here,
            // not worth Kestrel's error log line and stack trace.
        }
    }
}
