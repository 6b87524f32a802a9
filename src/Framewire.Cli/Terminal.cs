namespace Framewire.Cli;

/// <summary>The width output is laid out for: the terminal's, or 80 columns when the output is piped.</summary>
internal static class Terminal
{
    public const int PipedWidth = 80;

    public static int Width()
    {
        if (Console.IsOutputRedirected)
        {
            return PipedWidth;
        }

        try
        {
            return Math.Max(Console.WindowWidth, 40);
        }
        catch (IOException)
        {
            return PipedWidth;
        }
    }
}
