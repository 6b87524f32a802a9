using System.CommandLine;
using System.Runtime.InteropServices;
using Framewire.Cli;

using var shutdown = new CancellationTokenSource();
int signals = 0;

// The first Ctrl-C or SIGTERM asks for a graceful stop; a second one falls through to the default: exit now.
void OnSignal(PosixSignalContext context)
{
    if (Interlocked.Increment(ref signals) == 1)
    {
        context.Cancel = true;
        shutdown.Cancel();
    }
}

using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

RootCommand root = FramewireCommand.Create(shutdown.Token);
ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (string problem in UsageErrors.Describe(parsed))
    {
        Console.Error.WriteLine($"Error: {problem}");
    }

    return (int)ExitCode.Usage;
}

return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
