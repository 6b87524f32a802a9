using System.Globalization;

namespace Framewire.Cli;

/// <summary>
/// Chooses, before the process opens its first socket, how .NET's async sockets run completions. By default the
/// socket engine's epoll thread hands every completion to the thread pool; for a load generator whose loops never
/// block, running them on the engine's own threads instead removes a thread hop per receive. On this project's
/// 2-core VM (client pinned to one CPU, 64 connections, 64-byte echoes) that measured 7.3 instead of 12.7 µs of
/// client CPU per message at depth 1, and 0.47 instead of 0.78 µs at depth 16.
/// </summary>
/// <remarks>
/// The runtime reads these variables once, when the first socket registers with the engine, so only a process
/// that has opened no socket yet can set them: the <c>bench</c> command line does, in-process callers (tests)
/// keep the runtime's defaults. Values the user set in the environment win.
/// </remarks>
internal static class SocketThreads
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    private const string ThreadCount = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>Runs socket completions on <paramref name="threads"/> engine threads.</summary>
    public static void Configure(int threads)
    {
        ConfigureInline();
        if (Environment.GetEnvironmentVariable(ThreadCount) is null)
        {
            Environment.SetEnvironmentVariable(ThreadCount, threads.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Runs socket completions on the socket engine's own threads (one per processor the process may use) instead of
    /// handing each to the thread pool. For a server process on the async engine whose handlers never block, as
    /// <c>multiconn-server</c> and <c>app-server</c> are (CPU-bound work goes to their worker pool): the receive, the
    /// application and the send of a message then run in one go on the thread that saw the socket ready.
    /// </summary>
    public static void ConfigureInline()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }
    }
}
