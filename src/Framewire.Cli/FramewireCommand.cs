using System.CommandLine;
using Framewire.Cli.Commands;

namespace Framewire.Cli;

/// <summary>Assembles the <c>framewire</c> root command from one command per file.</summary>
internal static class FramewireCommand
{
    public static RootCommand Create(CancellationToken shutdown) => new("Framewire: the seed's socket programs in C#, a fast and hardened TCP toolkit")
    {
        EchoServerCommand.Create(shutdown),
        EchoClientCommand.Create(shutdown),
        MulticonnServerCommand.Create(shutdown),
        MulticonnClientCommand.Create(shutdown),
        AppServerCommand.Create(shutdown),
        AppClientCommand.Create(shutdown),
        BenchCommand.Create(shutdown),
        StatusCommand.Create(shutdown),
    };
}
