using System.Globalization;
using System.Text;
using GenAudit.Core;

namespace GenAudit.Application;

/// <summary>
/// The result table of a sweep: one row per data set and recipe, each column the mean ± standard error
/// over seeds of one result key. It depends only on the items' values, never on where or when they ran,
/// so a local run, a cluster run and a run that lost a machine give the same bytes.
/// </summary>
public static class SweepTable
{
    /// <summary>File names of the table inside the output folder.</summary>
    public const string MarkdownFile = "sweep.md", JsonFile = "sweep.json";

    /// <summary>Writes sweep.md and sweep.json into <paramref name="folder"/>, each atomically; every item of the spec must have a result.</summary>
    public static (string Markdown, string Json) Write(SweepSpec spec, IReadOnlyList<SweepItem> items, IReadOnlyDictionary<string, SweepResult> results, string folder)
    {
        var (markdown, document) = Build(spec, items, results);
        Directory.CreateDirectory(folder);
        var markdownPath = Path.Combine(folder, MarkdownFile);
        var jsonPath = Path.Combine(folder, JsonFile);
        AtomicFile.WriteAllText(markdownPath, markdown);
        Json.WriteFile(jsonPath, document);
        return (markdownPath, jsonPath);
    }

    /// <summary>The Markdown table and the JSON document (rows, then every item's values without timings).</summary>
    public static (string Markdown, SortedDictionary<string, object?> Json) Build(SweepSpec spec, IReadOnlyList<SweepItem> items, IReadOnlyDictionary<string, SweepResult> results)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var missing = items.Where(i => !results.ContainsKey(i.Key)).Select(i => i.Key).Distinct().ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"{missing.Count} items have no result yet (first: {missing[0]}); the table needs every item");
        var columns = spec.Columns ?? items.SelectMany(i => results[i.Key].Values.Keys).Distinct().Order(StringComparer.Ordinal)
            .Select(k => new SweepColumn { Key = k, Label = k }).ToList();

        var text = new StringBuilder()
            .AppendLine($"Sweep {spec.Name}: {spec.Seeds.Count} seeds per row ({string.Join(", ", spec.Seeds)}), {spec.Threads} thread(s) per item; mean ± standard error over seeds.")
            .AppendLine()
            .Append("| data | recipe | G steps |").AppendJoin("", columns.Select(c => $" {c.Label} |")).AppendLine()
            .Append("|---|---|---|").AppendJoin("", columns.Select(_ => "---|")).AppendLine();
        var rows = new List<object>();
        foreach (var data in spec.Data)
            foreach (var recipe in spec.Recipes)
            {
                var rowResults = items.Where(i => i.Data == data && i.Recipe == recipe.Name).Select(i => results[i.Key]).ToList();
                var steps = rowResults[0].Steps;
                var cells = new SortedDictionary<string, object?>(StringComparer.Ordinal);
                text.Append($"| {data} | {recipe.Name} | {steps.ToString("N0", CultureInfo.InvariantCulture)} |");
                foreach (var column in columns)
                {
                    var values = rowResults.Select(r => r.Values.TryGetValue(column.Key, out var v) && v is { } x ? x * column.Scale : double.NaN).ToList();
                    var (mean, se, undefined) = MeanSe(values);
                    text.Append($" {Format(mean, se, undefined, values.Count, column.Format)} |");
                    cells[column.Key] = new SortedDictionary<string, object?>(StringComparer.Ordinal)
                    {
                        ["mean"] = mean, ["standardError"] = se, ["undefined"] = undefined, ["scale"] = column.Scale,
                    };
                }
                text.AppendLine();
                rows.Add(new SortedDictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["data"] = data, ["recipe"] = recipe.Name, ["steps"] = steps, ["seeds"] = rowResults.Count, ["values"] = cells,
                });
            }
        var described = spec.Recipes.Where(r => r.Description is not null).ToList();
        if (spec.Description is not null || described.Count > 0) text.AppendLine();
        if (spec.Description is not null) text.AppendLine(spec.Description).AppendLine();
        foreach (var recipe in described) text.AppendLine($"- **{recipe.Name}**: {recipe.Description}");

        var document = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["name"] = spec.Name,
            ["rows"] = rows,
            ["items"] = items.Select(i => results[i.Key]).Select(r => new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["key"] = r.Key, ["data"] = r.Data, ["recipe"] = r.Recipe, ["seed"] = r.Seed, ["steps"] = r.Steps, ["values"] = r.Values,
            }).ToList(),
        };
        return (text.ToString(), document);
    }

    /// <summary>Mean and standard error (sample standard deviation / √n) of the finite values, and how many were undefined.</summary>
    static (double? Mean, double? Se, int Undefined) MeanSe(List<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0) return (null, null, values.Count);
        var mean = finite.Average();
        var se = finite.Count > 1 ? Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Count - 1) / finite.Count) : 0;
        return (mean, se, values.Count - finite.Count);
    }

    static string Format(double? mean, double? se, int undefined, int count, string format)
    {
        if (mean is null) return "n/a";
        var suffix = undefined > 0 ? $" ({undefined} undefined)" : "";
        return $"{mean.Value.ToString(format, CultureInfo.InvariantCulture)} ± {se!.Value.ToString(format, CultureInfo.InvariantCulture)}{suffix}";
    }
}
