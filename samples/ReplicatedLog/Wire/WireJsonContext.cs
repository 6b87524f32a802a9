using System.Text.Json.Serialization;
using ReplicatedLog.Raft;

namespace ReplicatedLog.Wire;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RaftMessage))]
[JsonSerializable(typeof(ClientRequest))]
[JsonSerializable(typeof(ClientReply))]
[JsonSerializable(typeof(StatusReply))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
