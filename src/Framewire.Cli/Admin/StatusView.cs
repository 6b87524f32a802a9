using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Framewire.Cli.Admin;

/// <summary>
/// <c>framewire status</c>'s tables: the server's counters, then one row per open connection. At a given width, the
/// least telling columns are left out rather than cells wrapped (<c>--wide</c>: all of them).
/// </summary>
internal static class StatusView
{
    /// <param name="width">The columns to fit in; null for every column, however wide.</param>
    public static IRenderable Render(StatusDocument status, int? width)
    {
        ArgumentNullException.ThrowIfNull(status);
        StatusCounters c = status.Counters;
        (Table counters, IReadOnlyList<string> hiddenCounters) = new FittedTable()
            .Column("Active", 0)
            .Column("Accepted", 1)
            .Column("Frames in/out", 3)
            .Column("Bytes in/out", 2)
            .Column("Errors", 0)
            .Row(Number(c.Active), Number(c.Accepted), InOut(c.FramesReceived, c.FramesSent), $"{Bytes(c.BytesReceived)}/{Bytes(c.BytesSent)}", Errors(c.Errors))
            .Build(width, $"{status.Server} ({status.Engine} engine) at {status.Time.ToLocalTime():HH:mm:ss}");

        var table = new FittedTable()
            .Column("Id", 0, rightAligned: true)
            .Column("Peer", 0)
            .Column("State", 1)
            .Column("Age", 3, rightAligned: true)
            .Column("Bytes in/out", 2, rightAligned: true)
            .Column("Frames in/out", 4, rightAligned: true)
            .Column("In flight", 5, rightAligned: true);
        foreach (StatusConnection connection in status.Connections)
        {
            table.Row(
                Number(connection.Id),
                connection.Peer,
                connection.State,
                Age(connection.AgeSeconds),
                $"{Bytes(connection.BytesReceived)}/{Bytes(connection.BytesSent)}",
                InOut(connection.FramesReceived, connection.FramesSent),
                Number(connection.InFlight));
        }

        if (status.Connections.Count == 0)
        {
            table.Row("", "no open connections", "", "", "", "", "");
        }

        (Table connections, IReadOnlyList<string> hiddenConnections) = table.Build(width, title: null);
        string[] hidden = [.. hiddenCounters.Concat(hiddenConnections).Distinct()];
        return hidden.Length == 0
            ? new Rows(counters, connections)
            : new Rows(counters, connections, new Text($"Not shown: {string.Join(", ", hidden)}; --wide shows them"));
    }

    private static string InOut(long received, long sent) => string.Create(CultureInfo.InvariantCulture, $"{received:#,0}/{sent:#,0}");

    private static string Number(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static string Bytes(long value) => value switch
    {
        < 10 * 1024 => value.ToString("#,0 B", CultureInfo.InvariantCulture),
        < 10L * 1024 * 1024 => (value / 1024.0).ToString("#,0.0 KiB", CultureInfo.InvariantCulture),
        < 10L * 1024 * 1024 * 1024 => (value / (1024.0 * 1024)).ToString("#,0.0 MiB", CultureInfo.InvariantCulture),
        _ => (value / (1024.0 * 1024 * 1024)).ToString("#,0.0 GiB", CultureInfo.InvariantCulture),
    };

    private static string Age(double seconds)
    {
        var age = TimeSpan.FromSeconds(seconds);
        return age.TotalSeconds < 60 ? age.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture)
            : age.TotalHours < 1 ? string.Create(CultureInfo.InvariantCulture, $"{age.Minutes}m{age.Seconds:00}s")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalHours}h{age.Minutes:00}m");
    }

    private static string Errors(IReadOnlyDictionary<string, long> errors)
    {
        if (errors.Count == 0)
        {
            return "0";
        }

        var parts = new List<string>(errors.Count);
        foreach ((string code, long count) in errors)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{code} {count:#,0}"));
        }

        return string.Join('\n', parts);
    }
}
