using Spectre.Console;

namespace Framewire.Cli.Admin;

/// <summary>
/// A table that fits a width without wrapping a cell: columns are dropped, least important first, until it fits, and
/// when even the columns that must stay do not, the widest of them is cut short with an ellipsis. A cell broken over
/// lines by wrapping cannot be read as a row; a missing column is named under the table.
/// </summary>
internal sealed class FittedTable
{
    // Spectre's rounded border draws one rule per column plus one, and pads every cell with a space on each side.
    private const int BorderPerColumn = 3;
    private const int BorderPerTable = 1;

    private readonly List<(string Header, int Priority, bool RightAligned)> _columns = [];
    private readonly List<string[]> _rows = [];

    /// <param name="priority">0 for a column that always stays; among the others, the highest is dropped first.</param>
    public FittedTable Column(string header, int priority, bool rightAligned = false)
    {
        _columns.Add((header, priority, rightAligned));
        return this;
    }

    /// <summary>A row of plain text, one cell per column; a cell may hold lines of its own.</summary>
    public FittedTable Row(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    /// <summary>The table for <paramref name="width"/> columns (null: every column, however wide), and the headers left out.</summary>
    public (Table Table, IReadOnlyList<string> Hidden) Build(int? width, string? title)
    {
        var kept = Enumerable.Range(0, _columns.Count).ToList();
        var hidden = new List<string>();
        int[] widths = [.. kept.Select(ContentWidth)];
        while (width is int limit && TableWidth(kept, widths) > limit && kept.Any(i => _columns[i].Priority > 0))
        {
            int drop = kept.MaxBy(i => (_columns[i].Priority, i));
            kept.Remove(drop);
            hidden.Insert(0, _columns[drop].Header);
        }

        int? cut = null;
        if (width is int available && TableWidth(kept, widths) > available)
        {
            int widest = kept.MaxBy(i => widths[i]);
            cut = widest;
            widths[widest] = Math.Max(widths[widest] - (TableWidth(kept, widths) - available), 1);
        }

        var table = new Table().Border(TableBorder.Rounded);
        if (title is not null)
        {
            table.Title(Markup.Escape(title));
        }

        foreach (int i in kept)
        {
            table.AddColumn(Markup.Escape(_columns[i].Header), column =>
            {
                column.NoWrap();
                if (_columns[i].RightAligned)
                {
                    column.RightAligned();
                }
            });
        }

        foreach (string[] row in _rows)
        {
            table.AddRow([.. kept.Select(i => Markup.Escape(i == cut ? Shorten(row[i], widths[i]) : row[i]))]);
        }

        return (table, hidden);
    }

    private static string Shorten(string cell, int width) => cell.Length <= width ? cell : string.Concat(cell.AsSpan(0, width - 1), "…");

    private static int TableWidth(List<int> kept, int[] widths) => kept.Sum(i => widths[i] + BorderPerColumn) + BorderPerTable;

    private int ContentWidth(int column) =>
        _rows.Select(row => row[column].Split('\n').Max(line => line.Length)).Append(_columns[column].Header.Length).Max();
}
