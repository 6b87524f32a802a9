using Framewire.Engines;

namespace Framewire.Tests.Engines.Conformance;

/// <summary>
/// The engines every conformance test runs on: the bad-input matrix, flow control, read-ahead, timeouts, the PROXY
/// header, the live view, the graceful stop and the soak. A new engine is one line here, and it gets them all. The
/// uring engine joins where the machine runs io_uring (a container's seccomp filter may refuse it); elsewhere the
/// server would run on the selector engine, which the suite covers already, and UringEngineTests tests that fallback.
/// </summary>
public static class ConformanceEngines
{
    public static IReadOnlyList<ServerEngine> All { get; } = OperatingSystem.IsLinux()
        ? Framewire.Engines.Internal.Uring.UringSupport.Unavailable is null
            ? [ServerEngine.Async, ServerEngine.Selector, ServerEngine.Uring]
            : [ServerEngine.Async, ServerEngine.Selector]
        : [ServerEngine.Async];

    /// <summary>The engines that serve TLS, for the TLS tests: the uring engine refuses it.</summary>
    public static IReadOnlyList<ServerEngine> Tls { get; } = OperatingSystem.IsLinux()
        ? [ServerEngine.Async, ServerEngine.Selector]
        : [ServerEngine.Async];

    /// <summary>The engines that serve an ingress queue: every one.</summary>
    public static IReadOnlyList<ServerEngine> Ingress => All;

    /// <summary>The engine's name on the command line (<c>--engine</c>).</summary>
    public static string FlagValue(ServerEngine engine) => engine.ToString().ToLowerInvariant();
}
