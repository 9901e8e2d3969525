using System.Globalization;
using GenAudit.Audit;
using Spectre.Console;

namespace GenAudit.Cli.Infrastructure;

/// <summary>A table of metric values with their direction and range from the catalog.</summary>
static class MetricTable
{
    public static Table Build(string title, IEnumerable<KeyValuePair<string, double?>> values) => Build(title, values, null, null);

    /// <summary>The table with a "95% interval" column when <paramref name="intervals"/> is given and a "real" column when <paramref name="real"/> is.</summary>
    public static Table Build(string title, IEnumerable<KeyValuePair<string, double?>> values,
        IReadOnlyDictionary<string, Metrics.ConfidenceInterval>? intervals, IReadOnlyDictionary<string, double>? real)
    {
        var table = new Table().Title(title).AddColumns("metric", "value");
        if (intervals is not null) table.AddColumn("95% interval");
        if (real is not null) table.AddColumn("real");
        table.AddColumns("direction", "range");
        foreach (var (key, value) in values)
        {
            if (value is null) continue;
            var info = MetricCatalog.Find(key);
            var cells = new List<string> { Markup.Escape(key), Format(value.Value) };
            if (intervals is not null) cells.Add(intervals.TryGetValue(key, out var i) ? Markup.Escape($"[{Format(i.Lower)}, {Format(i.Upper)}]") : "—");
            if (real is not null) cells.Add(real.TryGetValue(key, out var r) ? Format(r) : "—");
            cells.Add(Markup.Escape(info is null ? "" : MetricCatalog.Arrow(info.Direction)));
            cells.Add(Markup.Escape(info?.Range ?? ""));
            table.AddRow(cells.ToArray());
        }
        return table;
    }

    public static string Format(double value) =>
        Math.Abs(value) >= 1000 || value == Math.Floor(value) ? value.ToString("G6", CultureInfo.InvariantCulture) : value.ToString("G4", CultureInfo.InvariantCulture);
}
