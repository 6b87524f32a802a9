using System.CommandLine;
using Framewire.Cli;

namespace Framewire.Tests.Cli;

/// <summary>Every usage error as the one line framewire prints for it (without "Error: "), parsed in-process.</summary>
public class UsageErrorTests
{
    [Theory]
    [InlineData("", "name a command: echo-server, echo-client, multiconn-server, multiconn-client, app-server, app-client, bench or status (framewire --help says what each does)")]
    [InlineData("echo-clinet", "'echo-clinet' is not a framewire command; did you mean 'echo-client'?")]
    [InlineData("appserver", "'appserver' is not a framewire command; did you mean 'app-server'?")]
    [InlineData("frobnicate", "'frobnicate' is not a framewire command; the commands are echo-server, echo-client, multiconn-server, multiconn-client, app-server, app-client, bench and status")]
    [InlineData("app-client", "framewire app-client needs host, port, action and value: framewire app-client <host> <port> <action> <value> [options]")]
    [InlineData("app-client 127.0.0.1 65432", "framewire app-client needs action and value: framewire app-client <host> <port> <action> <value> [options]")]
    [InlineData("bench", "framewire bench needs mode: framewire bench <echo|frame|oneshot> [options]")]
    [InlineData("bench foo", "mode must be echo, frame or oneshot, not 'foo'")]
    [InlineData("bench Frame --engine Async", null)]
    [InlineData("bench echo --engine epoll", "--engine must be selector or async, not 'epoll'")]
    [InlineData("app-server --engine threads", "--engine must be selector, async or uring, not 'threads'")]
    [InlineData("echo-server --log-format xml", "--log-format must be console or json, not 'xml'")]
    [InlineData("status", "framewire status needs --admin <address>")]
    [InlineData("status --admin 127.0.0.1:9100 --jsn", "framewire status has no option '--jsn'; did you mean '--json'?")]
    [InlineData("echo-server --no-such-option", "framewire echo-server has no option '--no-such-option' (framewire echo-server --help lists them)")]
    [InlineData("echo-client 127.0.0.1 --mesage hi", "framewire echo-client has no option '--mesage'; did you mean '--message'?")]
    [InlineData("echo-server 127.0.0.1 65432 extra", "'extra' is one argument too many for framewire echo-server [host] [port] [options]")]
    [InlineData("echo-server 127.0.0.1 notaport", "port must be a port number from 0 to 65535, not 'notaport'")]
    [InlineData("app-server 127.0.0.1 70000", "port must be a port number from 0 to 65535, not '70000'")]
    [InlineData("echo-client unix:", "host must be unix: followed by the socket file's path (such as unix:/tmp/framewire.sock), not 'unix:'")]
    [InlineData("multiconn-client 127.0.0.1 65432 0", "num_connections must be a whole number of at least 1, not '0'")]
    [InlineData("echo-client --timeout", "--timeout needs a value: --timeout <seconds>")]
    [InlineData("echo-client --timeout -1", "--timeout must be a number of seconds above 0 (such as 10 or 0.5), not '-1'")]
    [InlineData("app-client 127.0.0.1 65432 search x --timeout 0", "--timeout must be a number of seconds above 0 (such as 10 or 0.5), not '0'")]
    [InlineData("multiconn-client --timeout soon", "--timeout must be a number of seconds above 0 (such as 10 or 0.5), not 'soon'")]
    [InlineData("bench echo --timeout -1", "--timeout must be a duration above 0 (such as 10, 10s, 500ms, 1m), not '-1'")]
    [InlineData("bench echo --duration 0", "--duration must be a duration above 0 (such as 10, 10s, 500ms, 1m), not '0'")]
    [InlineData("bench echo -c many", "--connections must be a whole number of at least 1, not 'many'")]
    [InlineData("bench echo --port x", "--port must be a port number from 0 to 65535, not 'x'")]
    [InlineData("bench frame --rate -5", "--rate must be a number of requests per second above 0, not '-5'")]
    [InlineData("app-server --max-header-length lots", "--max-header-length must be a size (such as 240, 64KiB, 16MiB), not 'lots'")]
    [InlineData("app-server --metrics-port 0", "--metrics-port must be a port number from 1 to 65535, not '0'")]
    [InlineData("app-server --loops x", "--loops must be a whole number, not 'x'")]
    [InlineData("app-server --max-in-flight 1.5", "--max-in-flight must be a whole number, not '1.5'")]
    [InlineData("app-server --idle-timeout soon", "--idle-timeout must be a number of seconds (such as 120 or 0.5; 0 disables), not 'soon'")]
    [InlineData("status --admin 127.0.0.1:9100 --watch 0", "--watch must be a number of seconds from 0.1 to 3600, not '0'")]
    public void Describe_BadCommandLine_OneLineNamingTheArgument(string commandLine, string? expected)
    {
        ParseResult parsed = FramewireCommand.Create(CancellationToken.None).Parse(commandLine);

        IReadOnlyList<string> lines = UsageErrors.Describe(parsed);

        if (expected is null)
        {
            Assert.Empty(parsed.Errors);
        }
        else
        {
            Assert.Equal(expected, Assert.Single(lines));
        }
    }

    [Fact]
    public void Describe_TwoProblems_OneLineEach()
    {
        ParseResult parsed = FramewireCommand.Create(CancellationToken.None).Parse("echo-client 127.0.0.1 notaport --timeout -1");

        Assert.Equal(
            ["--timeout must be a number of seconds above 0 (such as 10 or 0.5), not '-1'", "port must be a port number from 0 to 65535, not 'notaport'"],
            UsageErrors.Describe(parsed).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Parse_EveryOptionGivenNonsense_RefusedWithoutATypeName()
    {
        RootCommand root = FramewireCommand.Create(CancellationToken.None);
        foreach (Command command in root.Subcommands)
        {
            string arguments = string.Join(' ', command.Arguments.Select(a => a.Name switch { "mode" => "echo", "port" or "num_connections" => "1", _ => "x" }));
            foreach (Option option in command.Options.Where(o => o.Arity.MinimumNumberOfValues > 0 && o.ValueType != typeof(string) && o.ValueType != typeof(string[]) && o.ValueType != typeof(FileInfo)))
            {
                string commandLine = $"{command.Name} {arguments} {option.Name} nonsense";
                ParseResult parsed = root.Parse(commandLine);

                string line = Assert.Single(UsageErrors.Describe(parsed));
                Assert.StartsWith(option.Name + " must be ", line, StringComparison.Ordinal);
                Assert.EndsWith(", not 'nonsense'", line, StringComparison.Ordinal);
                Assert.DoesNotContain("System.", line, StringComparison.Ordinal);
            }
        }
    }
}
