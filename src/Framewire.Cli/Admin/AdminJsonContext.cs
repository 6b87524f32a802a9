using System.Text.Json.Serialization;

namespace Framewire.Cli.Admin;

/// <summary>Source-generated JSON for the status document: no reflection, so NativeAOT and trimming keep it working.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StatusDocument))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
