using System.Text.Json.Serialization;

namespace ReplicatedLog.Storage;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StorageRecord))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
