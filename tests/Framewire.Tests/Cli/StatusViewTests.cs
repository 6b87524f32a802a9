using Framewire.Cli.Admin;
using Framewire.Cli.Bench;
using Spectre.Console;

namespace Framewire.Tests.Cli;

/// <summary><c>framewire status</c>'s tables at a terminal's width: columns are left out, cells never wrap.</summary>
public class StatusViewTests
{
    private static readonly StatusDocument Status = new(
        "127.0.0.1:9000",
        "selector",
        DateTimeOffset.UnixEpoch,
        new StatusCounters(3, 1_234_567, 9_876_543, 9_876_544, 12L << 30, 13L << 30, new Dictionary<string, long> { ["header_not_object"] = 1, ["frame_timeout"] = 12 }),
        [
            Connection(1, "127.0.0.1:36910", "idle"),
            Connection(22, "[2001:db8:85a3::8a2e:370:7334]:65432", "processing"),
            Connection(333, "127.0.0.1:36924", "reading"),
        ]);

    [Theory]
    [InlineData(80)]
    [InlineData(200)]
    public void Render_AtWidth_EveryLineFitsAndEveryConnectionIsOneRow(int width)
    {
        string[] lines = Render(width);

        Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} columns: {line}"));
        foreach (StatusConnection connection in Status.Connections)
        {
            string row = Assert.Single(lines, l => l.Contains($"│ {connection.Id,3} │", StringComparison.Ordinal));
            Assert.Contains(connection.Peer, row, StringComparison.Ordinal);
            Assert.Contains(connection.State, row, StringComparison.Ordinal);
        }

        // Nothing wrapped: the headers are whole on their lines.
        Assert.Contains(lines, l => l.Contains("│ Active │", StringComparison.Ordinal) && l.Contains("│ Errors", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_At80_LeavesOutTheLeastTellingColumnsAndSaysSo()
    {
        string[] lines = Render(80);
        string note = Assert.Single(lines, l => l.StartsWith("Not shown: ", StringComparison.Ordinal));

        Assert.Contains("In flight", note, StringComparison.Ordinal);
        Assert.EndsWith("; --wide shows them", note, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l != note && l.Contains("In flight", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(200)]
    [InlineData(null)]
    public void Render_WideEnough_ShowsEveryColumn(int? width)
    {
        string text = string.Join('\n', Render(width));

        foreach (string header in new[] { "Accepted", "Frames in/out", "Bytes in/out", "Errors", "Id", "Peer", "State", "Age", "In flight" })
        {
            Assert.Contains(header, text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("Not shown", text, StringComparison.Ordinal);
        Assert.Contains("12.0 GiB/13.0 GiB", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NarrowerThanTheColumnsThatStay_CutsThePeerShort()
    {
        string[] lines = Render(40);

        Assert.All(lines.Where(l => l.StartsWith('│') || l.StartsWith('╭') || l.StartsWith('├') || l.StartsWith('╰')), line => Assert.True(line.Length <= 40, line));
        Assert.Contains(lines, l => l.Contains('…', StringComparison.Ordinal));
    }

    private static string[] Render(int? width)
    {
        var output = new StringWriter();
        IAnsiConsole console = BenchConsole.Create(output, interactive: false);
        console.Profile.Width = width ?? 1000;
        console.Write(StatusView.Render(Status, width));
        return output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
    }

    private static StatusConnection Connection(long id, string peer, string state) =>
        new(id, peer, "127.0.0.1:9000", DateTimeOffset.UnixEpoch, 3725.5, state, 438_000_000, 444, 3, 3, 16);
}
