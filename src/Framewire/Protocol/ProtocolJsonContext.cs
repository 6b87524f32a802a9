using System.Text.Json.Serialization;

namespace Framewire.Protocol;

/// <summary>Source-generated metadata, so the protocol's few uses of the serializer are trim- and AOT-safe.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
