using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace KestrelPeer;

/// <summary>Echo, pipe to pipe: copy what one read returned into the output pipe, then flush once.</summary>
internal sealed class EchoConnectionHandler : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        PipeReader input = connection.Transport.Input;
        PipeWriter output = connection.Transport.Output;
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
}
