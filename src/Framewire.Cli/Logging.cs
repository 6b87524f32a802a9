using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Framewire.Cli;

/// <summary>
/// The command's log output: warnings and errors on stderr, and per-connection detail with --verbose; as readable
/// lines, or with <c>--log-format json</c> as one JSON object per line (category, level, message and the message's
/// named values), so that log collectors need no parsing rules.
/// </summary>
internal static class Logging
{
    public static ILoggerFactory Create(bool verbose, LogFormat format = LogFormat.Console) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
        if (format == LogFormat.Json)
        {
            builder.AddJsonConsole(options =>
            {
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                options.UseUtcTimestamp = true;
                options.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
            });
        }
        else
        {
            builder.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
            });
        }

        builder.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
