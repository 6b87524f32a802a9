using System.CommandLine;
using Framewire.Cli.Commands;

namespace Framewire.Cli;

/// <summary>Assembles the <c>framewire</c> root command from one command per file.</summary>
internal static class FramewireCommand
{
    public static RootCommand Create(CancellationToken shutdown)
    {
        var root = new RootCommand(
            "Framewire: the six socket programs of Real Python's sockets tutorial (an echo, a multi-connection and an application "
            + "server, each with its client) in C#, wire-compatible with the Python originals, with a load generator and a live view "
            + "of a server's connections.")
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
        HelpText.InstallOn(root);
        return root;
    }
}
