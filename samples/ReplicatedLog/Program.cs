using System.CommandLine;
using System.Runtime.InteropServices;
using ReplicatedLog.Commands;

// dotnet run --project samples/ReplicatedLog -- node --id N --listen HOST:PORT --peer HOST:PORT [--peer …] --data DIR
// dotnet run --project samples/ReplicatedLog -- put KEY VALUE --node HOST:PORT | get KEY --node HOST:PORT | status --node HOST:PORT
using var shutdown = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    shutdown.Cancel();
}

using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

var root = new RootCommand("A replicated key-value log on the Raft algorithm, over Framewire's frame protocol")
{
    NodeCommand.Create(shutdown.Token),
    PutCommand.Create(),
    GetCommand.Create(),
    StatusCommand.Create(),
    BenchCommand.Create(),
};
ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
    {
        Console.Error.WriteLine($"Error: {error.Message}");
    }

    return (int)ExitCode.Usage;
}

return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
