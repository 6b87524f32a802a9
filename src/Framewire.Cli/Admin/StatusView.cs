using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Framewire.Cli.Admin;

/// <summary><c>framewire status</c>'s table: the server's counters, then one row per open connection.</summary>
internal static class StatusView
{
    public static IRenderable Render(StatusDocument status)
    {
        var counters = new Table().Border(TableBorder.Rounded)
            .Title(Markup.Escape($"{status.Server} ({status.Engine} engine) at {status.Time.ToLocalTime():HH:mm:ss}"))
            .AddColumns("Active", "Accepted", "Frames in/out", "Bytes in", "Bytes out")
            .AddColumn("Errors", column => column.NoWrap());
        StatusCounters c = status.Counters;
        counters.AddRow(
            Number(c.Active),
            Number(c.Accepted),
            string.Create(CultureInfo.InvariantCulture, $"{c.FramesReceived:#,0}/{c.FramesSent:#,0}"),
            Bytes(c.BytesReceived),
            Bytes(c.BytesSent),
            Markup.Escape(Errors(c.Errors)));

        var connections = new Table().Border(TableBorder.Rounded)
            .AddColumn("Id", column => column.RightAligned())
            .AddColumn("Peer", column => column.NoWrap())
            .AddColumn("Age", column => column.RightAligned())
            .AddColumn("State")
            .AddColumn("Bytes in", column => column.RightAligned())
            .AddColumn("Bytes out", column => column.RightAligned())
            .AddColumn("Frames in/out", column => column.RightAligned())
            .AddColumn("In flight", column => column.RightAligned());
        foreach (StatusConnection connection in status.Connections)
        {
            connections.AddRow(
                Number(connection.Id),
                Markup.Escape(connection.Peer),
                Age(connection.AgeSeconds),
                connection.State,
                Bytes(connection.BytesReceived),
                Bytes(connection.BytesSent),
                string.Create(CultureInfo.InvariantCulture, $"{connection.FramesReceived:#,0}/{connection.FramesSent:#,0}"),
                Number(connection.InFlight));
        }

        if (status.Connections.Count == 0)
        {
            connections.AddRow("", "[grey]no open connections[/]", "", "", "", "", "", "");
        }

        return new Rows(counters, connections);
    }

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
