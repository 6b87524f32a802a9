using System.CommandLine;
using Framewire.Cli;

namespace Framewire.Tests.Cli;

/// <summary>framewire's help, written in-process for every command: what it shows matches what the parser does.</summary>
public class HelpTextTests
{
    public static TheoryData<string> Commands()
    {
        var names = new TheoryData<string> { string.Empty };
        foreach (Command command in FramewireCommand.Create(CancellationToken.None).Subcommands)
        {
            names.Add(command.Name);
        }

        return names;
    }

    [Fact]
    public void Write_Root_OptionalArgumentsInBrackets()
    {
        string help = Help(string.Empty, 200);

        Assert.Contains("\n  echo-server [host] [port]  ", help, StringComparison.Ordinal);
        Assert.Contains("\n  multiconn-client [host] [port] [num_connections]", help, StringComparison.Ordinal);
        Assert.Contains("\n  app-client <host> <port> <action> <value>", help, StringComparison.Ordinal);
        Assert.Contains("\n  bench <echo|frame|oneshot>  ", help, StringComparison.Ordinal);
        Assert.DoesNotContain("echo-server <host>", help, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Write_EveryCommand_NoSeedNoTypeNamesEachDefaultOnceWithinWidth(string name)
    {
        string help = Help(name, 80);

        Assert.DoesNotContain("seed", help, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("[default:", help, StringComparison.Ordinal);
        Assert.DoesNotContain("Framewire.", help, StringComparison.Ordinal);
        Assert.All(help.Split('\n'), line => Assert.True(line.Length <= 80, $"over 80 columns: {line}"));

        // Unwrapped, a row is one line: a default printed from the option's value and again from its description would
        // say "default" twice in it.
        Assert.All(Help(name, 10_000).Split('\n'), line => Assert.True(line.Split("default").Length <= 2, $"two defaults: {line}"));
    }

    [Fact]
    public void Options_WithADefaultValue_DoNotStateItInTheirDescription()
    {
        foreach (Command command in FramewireCommand.Create(CancellationToken.None).Subcommands)
        {
            foreach (Option option in command.Options.Where(o => o.HasDefaultValue))
            {
                Assert.DoesNotContain("default", option.Description ?? string.Empty, StringComparison.OrdinalIgnoreCase);
            }

            foreach (Argument argument in command.Arguments.Where(a => a.HasDefaultValue))
            {
                Assert.DoesNotContain("default", argument.Description ?? string.Empty, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Theory]
    [InlineData("echo-client", "  host  IPv4 or IPv6 address, host name, or unix:/path/to.sock (default 127.0.0.1)")]
    [InlineData("echo-client", "  -m, --message <text>  What to send (default Hello, world)")]
    [InlineData("echo-client", "  --timeout <seconds>   How long to wait for the connection and for the echo (default 10)")]
    [InlineData("app-server", "  --engine <selector|async|uring>")]
    [InlineData("app-server", "  --log-format <console|json>")]
    [InlineData("app-server", "(default console)")]
    [InlineData("app-server", "  --max-content-length <bytes>     Largest accepted content (default 16MiB)")]
    [InlineData("status", "Usage: framewire status --admin <address> [options]")]
    [InlineData("status", "  --watch [<seconds>]")]
    [InlineData("app-client", "Usage: framewire app-client <host> <port> <action> <value> [options]")]
    [InlineData("multiconn-client", "Usage: framewire multiconn-client [host] [port] [num_connections] [options]")]
    public void Write_Command_ShowsTheLine(string name, string expected)
    {
        Assert.Contains(expected, Help(name, 200), StringComparison.Ordinal);
    }

    [Fact]
    public void Invoke_HelpWithMissingArguments_IsHelpNotAnError()
    {
        ParseResult parsed = FramewireCommand.Create(CancellationToken.None).Parse("app-client --help");
        var output = new StringWriter();

        int code = parsed.Invoke(new InvocationConfiguration { Output = output });

        Assert.Equal(0, code);
        Assert.StartsWith("Usage: framewire app-client <host> <port> <action> <value> [options]", output.ToString(), StringComparison.Ordinal);
    }

    private static string Help(string name, int width)
    {
        RootCommand root = FramewireCommand.Create(CancellationToken.None);
        Command command = name.Length == 0 ? root : root.Subcommands.Single(c => c.Name == name);
        var output = new StringWriter();
        HelpText.Write(command, output, width);
        return output.ToString();
    }
}
