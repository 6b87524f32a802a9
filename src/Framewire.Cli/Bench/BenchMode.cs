namespace Framewire.Cli.Bench;

/// <summary>What <c>framewire bench</c> sends.</summary>
internal enum BenchMode
{
    /// <summary>Raw bytes on kept-open connections, each echo compared with what was sent.</summary>
    Echo,

    /// <summary>The tutorial's frame protocol on kept-open connections: search requests, or binary ones.</summary>
    Frame,

    /// <summary>A new connection per search request, as the tutorial's clients do: connect, ask, read, close.</summary>
    Oneshot,
}
