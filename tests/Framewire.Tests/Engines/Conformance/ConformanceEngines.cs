using Framewire.Engines;

namespace Framewire.Tests.Engines.Conformance;

/// <summary>
/// The engines every conformance test runs on: the bad-input matrix, flow control, read-ahead, timeouts, the PROXY
/// header, the live view, the graceful stop and the soak. A new engine is one line here, and it gets them all.
/// </summary>
public static class ConformanceEngines
{
    public static IReadOnlyList<ServerEngine> All { get; } = OperatingSystem.IsLinux()
        ? [ServerEngine.Async, ServerEngine.Selector]
        : [ServerEngine.Async];

    /// <summary>The engine's name on the command line (<c>--engine</c>).</summary>
    public static string FlagValue(ServerEngine engine) => engine.ToString().ToLowerInvariant();
}
