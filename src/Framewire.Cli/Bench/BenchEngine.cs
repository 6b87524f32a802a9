namespace Framewire.Cli.Bench;

/// <summary>Which driver runs the load generator's sockets.</summary>
internal enum BenchEngine
{
    /// <summary>.NET's async <see cref="System.Net.Sockets.Socket"/>, one logical loop per connection.</summary>
    Async,

    /// <summary>Framewire's <see cref="Framewire.Selectors.Selector"/>: event loops on non-blocking sockets, one per thread (Linux).</summary>
    Selector,
}
