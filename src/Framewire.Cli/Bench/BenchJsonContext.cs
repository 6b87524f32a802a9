using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Framewire.Cli.Bench;

/// <summary>Source-generated serialization of <see cref="BenchReport"/>, so <c>--json</c> needs no reflection (trimming and AOT safe).</summary>
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Writes quotes and non-ASCII text as themselves rather than as <c>\u0027</c> escapes: the line is read by scripts
    /// and people, never embedded in HTML.
    /// </summary>
    public static BenchJsonContext Readable { get; } = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
