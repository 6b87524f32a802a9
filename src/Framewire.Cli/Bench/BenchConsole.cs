using Spectre.Console;

namespace Framewire.Cli.Bench;

/// <summary>Spectre.Console over a command's own output writer, so that tests can capture what it renders.</summary>
internal static class BenchConsole
{
    public static IAnsiConsole Create(TextWriter output, bool interactive) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(output),
        Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
    });
}
