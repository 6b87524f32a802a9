using System.Collections;
using System.Reflection;
using Framewire.Engines;
using Xunit.Sdk;

namespace Framewire.Tests.Engines.Conformance;

/// <summary>
/// Runs a theory once per engine in <see cref="ConformanceEngines.All"/> (or, for TLS, <see cref="ConformanceEngines.Tls"/>), the engine as its first argument: alone,
/// with one row of arguments after it (as <c>InlineData</c> gives), or with every row of the test class's static
/// member <see cref="Rows"/> (as <c>MemberData</c> gives). Several on one theory add their cases up.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class OnEveryEngineAttribute(params object?[] row) : DataAttribute
{
    /// <summary>A static property or method of the test class returning the rows to cross with every engine.</summary>
    public string? Rows { get; set; }

    /// <summary>True for a TLS test: it runs on the engines that serve TLS (<see cref="ConformanceEngines.Tls"/>).</summary>
    public bool Tls { get; set; }

    /// <summary>True for an ingress-queue test: it runs on the engines that serve one (<see cref="ConformanceEngines.Ingress"/>); with <see cref="Tls"/>, on those that serve TLS too.</summary>
    public bool Ingress { get; set; }

    public override IEnumerable<object?[]> GetData(MethodInfo testMethod)
    {
        ArgumentNullException.ThrowIfNull(testMethod);
        foreach (object?[] arguments in RowsOf(testMethod.DeclaringType!))
        {
            foreach (ServerEngine engine in Tls ? ConformanceEngines.Tls : Ingress ? ConformanceEngines.Ingress : ConformanceEngines.All)
            {
                yield return [engine, .. arguments];
            }
        }
    }

    private List<object?[]> RowsOf(Type testClass)
    {
        if (Rows is null)
        {
            return [row];
        }

        const BindingFlags Static = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.FlattenHierarchy;
        object? rows = testClass.GetProperty(Rows, Static)?.GetValue(null)
            ?? testClass.GetMethod(Rows, Static, Type.EmptyTypes)?.Invoke(null, null)
            ?? throw new InvalidOperationException($"{testClass.Name} has no static {Rows} with rows.");
        var all = new List<object?[]>();
        foreach (object? item in (IEnumerable)rows)
        {
            all.Add(item as object?[] ?? throw new InvalidOperationException($"{testClass.Name}.{Rows} holds a row that is not an object[]."));
        }

        return all;
    }
}
