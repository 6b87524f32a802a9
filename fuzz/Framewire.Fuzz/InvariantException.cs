namespace Framewire.Fuzz;

/// <summary>
/// A broken invariant of the code under test, told apart from an exception that escaped the code itself: both are
/// findings, but this one says which promise failed.
/// </summary>
internal sealed class InvariantException(string message) : Exception(message);
