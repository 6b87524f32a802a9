using System.Text.Json.Serialization;

namespace Framewire.Cli.Admin;

/// <summary>Source-generated JSON for the status document and the dashboard's samples: no reflection, so NativeAOT and trimming keep it working.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(DashboardSample))]
[JsonSerializable(typeof(DashboardSample[]))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
