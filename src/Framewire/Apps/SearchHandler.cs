using System.Buffers;
using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Framewire.Apps.Internal;
using Framewire.Internal;
using Framewire.Protocol;
using Framewire.Protocol.Internal;

namespace Framewire.Apps;

/// <summary>
/// The tutorial's application: <c>{"action": "search", "value": k}</c> is answered with <c>{"result": answer}</c>
/// from a lookup table, any other action with <c>Error: invalid action '…'.</c>, and a binary request with the
/// first 10 bytes of its content. Answers are byte-identical to the tutorial's Python server.
/// </summary>
/// <remarks>
/// One action goes beyond the tutorial, to show CPU-bound work kept off the I/O path:
/// <c>{"action": "hash", "value": s, "rounds": n}</c> answers <c>{"result": hex}</c>, SHA-256 applied n times
/// (1 by default, at most <see cref="MaxHashRounds"/>) to the UTF-8 of s, computed on the server's worker pool.
/// </remarks>
public sealed class SearchHandler : IMessageHandler
{
    /// <summary>The most SHA-256 rounds one hash request may ask for (about a second of one core).</summary>
    public const int MaxHashRounds = 1_000_000;

    private const int StackLimit = 256;

    private static ReadOnlySpan<byte> BinaryAnswerPrefix => "First 10 bytes of request: "u8;

    private static ReadOnlySpan<byte> NoMatchPrefix => "No match for '"u8;

    private static ReadOnlySpan<byte> InvalidActionPrefix => "Error: invalid action '"u8;

    // A JSON request may carry keys in any order and, as Python's json.loads allows, more than once: the last wins.
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    // Matches are answered with frames encoded once, up front: a hit costs a lookup and a copy. Keys are UTF-8, as
    // the request's value is, so a lookup needs no transcoding.
    private readonly FrozenDictionary<byte[], byte[]> _answers;
    private readonly FrozenDictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    /// <summary>Creates the handler with <paramref name="table"/>, or the tutorial's three entries when null.</summary>
    public SearchHandler(IReadOnlyDictionary<string, string>? table = null)
    {
        var answers = new Dictionary<byte[], byte[]>(Utf8KeyComparer.Instance);
        foreach (KeyValuePair<string, string> entry in table ?? DefaultTable)
        {
            // Python's `table.get(query) or f"No match…"` treats an empty answer as no match.
            if (!string.IsNullOrEmpty(entry.Value))
            {
                answers[Encoding.UTF8.GetBytes(entry.Key)] = EncodeResult(Encoding.UTF8.GetBytes(entry.Value));
            }
        }

        _answers = answers.ToFrozenDictionary(Utf8KeyComparer.Instance);
        _lookup = _answers.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>The tutorial's table.</summary>
    public static IReadOnlyDictionary<string, string> DefaultTable { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["morpheus"] = "Follow the white rabbit. \U0001f430",
        ["ring"] = "In the caves beneath the Misty Mountains. \U0001f48d",
        ["\U0001f436"] = "\U0001f43e Playing ball! \U0001f3d0",
    };

    /// <summary>The number of searchable keys.</summary>
    public int Count => _answers.Count;

    /// <summary>
    /// Loads a table from a JSON file holding one object of string keys to string answers.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not such an object.</exception>
    public static IReadOnlyDictionary<string, string> LoadTable(string path)
    {
        byte[] json = File.ReadAllBytes(path);
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: the search table must be a JSON object of key to answer.");
            }

            var table = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    throw new InvalidDataException($"{path}: the answer for '{property.Name}' must be a JSON string.");
                }

                table[property.Name] = property.Value.GetString()!;
            }

            return table;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public ValueTask HandleAsync(MessageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.Header.IsJson)
        {
            return AnswerJson(context);
        }

        AnswerBinary(context);
        return ValueTask.CompletedTask;
    }

    private static void AnswerBinary(MessageContext context)
    {
        ReadOnlySequence<byte> request = context.Request.Content;
        Span<byte> content = stackalloc byte[BinaryAnswerPrefix.Length + 10];
        BinaryAnswerPrefix.CopyTo(content);
        int taken = (int)Math.Min(10, request.Length);
        request.Slice(0, taken).CopyTo(content[BinaryAnswerPrefix.Length..]);
        context.Respond(ContentTypes.ServerBinary, ContentTypes.Binary, content[..(BinaryAnswerPrefix.Length + taken)]);
    }

    private ValueTask AnswerJson(MessageContext context)
    {
        ReadOnlySequence<byte> utf8 = context.GetJsonUtf8();
        if (utf8.IsSingleSegment && TryAnswerPythonSearch(context, utf8.FirstSpan))
        {
            return ValueTask.CompletedTask;
        }

        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        Utf8JsonReader action = default;
        Utf8JsonReader value = default;
        Utf8JsonReader rounds = default;
        bool hasAction = false;
        bool hasValue = false;
        bool hasRounds = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                while (reader.Read())
                {
                }

                context.RespondError(ErrorCode.InvalidRequest, "The request must be a JSON object.");
                return ValueTask.CompletedTask;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isAction = reader.ValueTextEquals("action"u8);
                bool isValue = !isAction && reader.ValueTextEquals("value"u8);
                bool isRounds = !isAction && !isValue && reader.ValueTextEquals("rounds"u8);
                reader.Read();
                if (isAction)
                {
                    action = reader;
                    hasAction = true;
                }
                else if (isValue)
                {
                    value = reader;
                    hasValue = true;
                }
                else if (isRounds)
                {
                    rounds = reader;
                    hasRounds = true;
                }

                reader.Skip();
            }

            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            context.RespondError(ErrorCode.ContentNotJson, $"The request is not valid JSON: {e.Message}");
            return ValueTask.CompletedTask;
        }

        if (hasAction && action.TokenType == JsonTokenType.String)
        {
            if (action.ValueTextEquals("search"u8))
            {
                Search(context, ref value, hasValue);
                return ValueTask.CompletedTask;
            }

            if (action.ValueTextEquals("hash"u8))
            {
                return Hash(context, ref value, hasValue, ref rounds, hasRounds);
            }
        }

        RespondText(context, InvalidActionPrefix, ref action, hasAction, "'."u8);
        return ValueTask.CompletedTask;
    }

    private static ValueTask Hash(MessageContext context, ref Utf8JsonReader value, bool hasValue, ref Utf8JsonReader rounds, bool hasRounds)
    {
        if (!hasValue || value.TokenType != JsonTokenType.String)
        {
            context.RespondError(ErrorCode.InvalidRequest, "hash needs a string 'value'.");
            return ValueTask.CompletedTask;
        }

        int count = 1;
        if (hasRounds && (rounds.TokenType != JsonTokenType.Number || !rounds.TryGetInt32(out count) || count is < 1 or > MaxHashRounds))
        {
            context.RespondError(ErrorCode.InvalidRequest, $"hash 'rounds' must be a whole number from 1 to {MaxHashRounds}.");
            return ValueTask.CompletedTask;
        }

        byte[] input;
        try
        {
            input = Encoding.UTF8.GetBytes(value.GetString()!);
        }
        catch (InvalidOperationException)
        {
            // A \u escape naming a lone surrogate is valid JSON but no Unicode text: there are no bytes to hash.
            context.RespondError(ErrorCode.InvalidRequest, "hash 'value' is not Unicode text (it escapes a lone surrogate).");
            return ValueTask.CompletedTask;
        }

        return context.RunCpuBoundAsync((input, count), static (ctx, work) =>
        {
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(work.input, digest);
            for (int i = 1; i < work.count; i++)
            {
                SHA256.HashData(digest, digest);
            }

            Span<byte> hex = stackalloc byte[SHA256.HashSizeInBytes * 2];
            Convert.TryToHexStringLower(digest, hex, out _);
            var json = new PythonJsonWriter(ctx.ResponseContent);
            json.WriteStartObject();
            json.WritePropertyName("result");
            json.WriteStringValue(hex);
            json.WriteEndObject();
            ctx.Respond(ContentTypes.Json, ContentTypes.Utf8);
        });
    }

    /// <summary>
    /// Answers a hit for the request exactly as the tutorial's client writes it, <c>{"action": "search", "value": "…"}</c>
    /// with a value of printable ASCII and no escapes, without the JSON reader. Anything else — a miss included,
    /// whose answer quotes the value — returns false and takes the general path, which reads it the same way.
    /// </summary>
    private bool TryAnswerPythonSearch(MessageContext context, ReadOnlySpan<byte> json)
    {
        ReadOnlySpan<byte> prefix = "{\"action\": \"search\", \"value\": \""u8;
        if (!json.StartsWith(prefix) || !json.EndsWith("\"}"u8))
        {
            return false;
        }

        ReadOnlySpan<byte> value = json[prefix.Length..^2];
        if (value.ContainsAnyExcept(PlainJsonString.Bytes) || !_lookup.TryGetValue(value, out byte[]? answer))
        {
            return false;
        }

        context.RespondEncoded(answer);
        return true;
    }

    private void Search(MessageContext context, ref Utf8JsonReader value, bool hasValue)
    {
        if (hasValue && value.TokenType == JsonTokenType.String && TryFind(ref value, out byte[]? answer))
        {
            context.RespondEncoded(answer);
            return;
        }

        RespondText(context, NoMatchPrefix, ref value, hasValue, "'."u8);
    }

    private bool TryFind(ref Utf8JsonReader value, out byte[]? answer)
    {
        if (!value.ValueIsEscaped && !value.HasValueSequence)
        {
            return _lookup.TryGetValue(value.ValueSpan, out answer);
        }

        int maxBytes = value.HasValueSequence ? checked((int)value.ValueSequence.Length) : value.ValueSpan.Length;
        byte[]? rented = null;
        Span<byte> utf8 = maxBytes <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            return _lookup.TryGetValue(utf8[..value.CopyString(utf8)], out answer);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Answers <c>{"result": prefix + str(value) + suffix}</c>, rendering the value as Python's str() would.</summary>
    private static void RespondText(MessageContext context, ReadOnlySpan<byte> prefix, ref Utf8JsonReader value, bool hasValue, ReadOnlySpan<byte> suffix)
    {
        PooledBufferWriter text = context.Scratch;
        text.Write(prefix);
        PythonText.WriteStr(text, ref value, hasValue);
        text.Write(suffix);

        var json = new PythonJsonWriter(context.ResponseContent);
        json.WriteStartObject();
        json.WritePropertyName("result");
        json.WriteStringValue(text.WrittenSpan);
        json.WriteEndObject();
        context.Respond(ContentTypes.Json, ContentTypes.Utf8);
    }

    private static byte[] EncodeResult(ReadOnlySpan<byte> utf8Answer)
    {
        var content = new ArrayBufferWriter<byte>();
        var json = new PythonJsonWriter(content);
        json.WriteStartObject();
        json.WritePropertyName("result");
        json.WriteStringValue(utf8Answer);
        json.WriteEndObject();
        var frame = new ArrayBufferWriter<byte>();
        FrameEncoder.Write(frame, ContentTypes.Json, ContentTypes.Utf8, content.WrittenSpan);
        return frame.WrittenSpan.ToArray();
    }
}
