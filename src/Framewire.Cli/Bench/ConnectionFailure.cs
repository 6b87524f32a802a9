namespace Framewire.Cli.Bench;

/// <summary>
/// Why a connection's exchange ended early, for <see cref="BenchConnection.Fail"/>; no detail when it has been
/// reported already (a mismatch describes itself as it is found).
/// </summary>
internal readonly record struct ConnectionFailure(ErrorKind Kind, string? Detail);
