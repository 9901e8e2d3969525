using System.Globalization;
using GenAudit.Audit;
using Spectre.Console;

namespace GenAudit.Cli.Infrastructure;

/// <summary>A table of metric values with their direction and range from the catalog.</summary>
static class MetricTable
{
    public static Table Build(string title, IEnumerable<KeyValuePair<string, double?>> values)
    {
        var table = new Table().Title(title).AddColumns("metric", "value", "direction", "range");
        foreach (var (key, value) in values)
        {
            if (value is null) continue;
            var info = MetricCatalog.Find(key);
            table.AddRow(Markup.Escape(key), Format(value.Value), Markup.Escape(info is null ? "" : MetricCatalog.Arrow(info.Direction)), Markup.Escape(info?.Range ?? ""));
        }
        return table;
    }

    public static string Format(double value) =>
        Math.Abs(value) >= 1000 || value == Math.Floor(value) ? value.ToString("G6", CultureInfo.InvariantCulture) : value.ToString("G4", CultureInfo.InvariantCulture);
}
