namespace Framewire.Tests.Support;

/// <summary>A server command's RunAsync run in-process until disposed, its stdout captured.</summary>
internal sealed class CommandServer(int port, LineWriter stdout, CancellationTokenSource stop, Task<int> running) : IAsyncDisposable
{
    public int Port => port;

    public LineWriter Stdout => stdout;

    /// <summary>Starts <paramref name="run"/> and waits for its <c>Listening on</c> line.</summary>
    public static async Task<CommandServer> StartAsync(Func<TextWriter, TextWriter, CancellationToken, Task<int>> run)
    {
        var stdout = new LineWriter();
        var cts = new CancellationTokenSource();
        Task<int> running = run(stdout, new StringWriter(), cts.Token);
        Task<int> listening = stdout.WaitForListeningPortAsync();
        Task first = await Task.WhenAny(running, listening);
        if (first == running)
        {
            throw new InvalidOperationException($"The server exited with {await running}: {stdout.Text}");
        }

        return new CommandServer(await listening, stdout, cts, running);
    }

    public async Task<int> StopAsync()
    {
        await stop.CancelAsync();
        return await running.WaitAsync(TimeSpan.FromSeconds(15));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        stop.Dispose();
    }
}
