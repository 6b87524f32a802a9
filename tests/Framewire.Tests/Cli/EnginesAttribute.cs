using System.Reflection;
using Xunit.Sdk;

namespace Framewire.Tests.Cli;

/// <summary>
/// Runs a load generator theory once per socket engine (<c>--engine</c>) the platform has, the engine's name as
/// the first argument: the engines must behave alike.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class EnginesAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod)
    {
        // The load generator runs on the engines that serve TLS too (it has no io_uring client).
        foreach (Framewire.Engines.ServerEngine engine in Engines.Conformance.ConformanceEngines.Tls)
        {
            yield return [Engines.Conformance.ConformanceEngines.FlagValue(engine)];
        }
    }
}
