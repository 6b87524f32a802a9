using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace KestrelPeer;

/// <summary>
/// The tutorial's framed protocol: parse every complete frame in what one read returned, answer each into the
/// output pipe, flush once. A frame that cannot be parsed closes the connection.
/// </summary>
internal sealed class FrameConnectionHandler : ConnectionHandler
{
    // Kestrel's socket transport pauses reading once 1 MiB is buffered and unconsumed (MaxReadBufferSize), so a
    // larger frame could never complete: refuse it instead of waiting forever.
    private const int MaxFrameLength = 1024 * 1024;

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
                int answered = 0;
                try
                {
                    while (TryReadFrame(ref buffer, out bool isJson, out ReadOnlySequence<byte> content))
                    {
                        SearchApp.Answer(isJson, content, output);
                        answered++;
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (answered > 0 && (await output.FlushAsync()).IsCompleted)
                {
                    break;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException or FormatException)
        {
            // Not our protocol: drop the connection.
        }
        catch (Exception e) when (e is ConnectionResetException or ConnectionAbortedException)
        {
            // Reset by the client or aborted: a normal end here, not worth Kestrel's error log line.
        }
    }

    /// <summary>Takes one whole frame off the front of <paramref name="buffer"/>, or returns false and leaves it.</summary>
    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out bool isJson, out ReadOnlySequence<byte> content)
    {
        isJson = false;
        content = default;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadBigEndian(out short prefix))
        {
            return false;
        }

        int headerLength = (ushort)prefix;
        if (headerLength == 0)
        {
            throw new InvalidDataException("empty header");
        }

        if (reader.Remaining < headerLength)
        {
            return false;
        }

        ReadOnlySequence<byte> header = buffer.Slice(reader.Position, headerLength);
        int contentLength = ParseHeader(header, out isJson);
        if (contentLength > MaxFrameLength - 2 - headerLength)
        {
            throw new InvalidDataException("frame too large");
        }

        reader.Advance(headerLength);
        if (reader.Remaining < contentLength)
        {
            return false;
        }

        content = buffer.Slice(reader.Position, contentLength);
        buffer = buffer.Slice(content.End);
        return true;
    }

    /// <summary>Reads the two keys the app needs from the JSON header; the others are skipped.</summary>
    private static int ParseHeader(in ReadOnlySequence<byte> header, out bool isJson)
    {
        isJson = false;
        int contentLength = -1;
        var json = new Utf8JsonReader(header);
        if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidDataException("header is not a JSON object");
        }

        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            if (json.ValueTextEquals("content-length"u8))
            {
                json.Read();
                contentLength = json.GetInt32();
            }
            else if (json.ValueTextEquals("content-type"u8))
            {
                json.Read();
                isJson = json.ValueTextEquals("text/json"u8);
            }
            else
            {
                json.Read();
                json.Skip();
            }
        }

        return contentLength >= 0 ? contentLength : throw new InvalidDataException("no content-length");
    }
}
