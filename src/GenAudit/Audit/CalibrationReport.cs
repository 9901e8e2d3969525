using System.Globalization;
using System.Text;
using System.Text.Json;
using GenAudit.Core;
using GenAudit.Models;

namespace GenAudit.Audit;

/// <summary>Where a calibration of some data was written; stored in the cache by data fingerprint so audits of that data can link it.</summary>
/// <param name="Data">The data specification.</param>
/// <param name="Fingerprint">Fingerprint of the training split.</param>
/// <param name="Markdown">Absolute path of calibration.md.</param>
/// <param name="Json">Absolute path of calibration.json.</param>
/// <param name="Policy">The policy it was judged against ("default" or a file).</param>
/// <param name="Caught">Defects caught.</param>
/// <param name="Defects">Defects.</param>
/// <param name="FalseAlarms">Controls failed.</param>
/// <param name="Controls">Controls.</param>
/// <param name="QualitySamples">Generated samples per quality stage.</param>
/// <param name="Created">When it finished (UTC).</param>
public sealed record CalibrationLink(string Data, string Fingerprint, string Markdown, string Json, string Policy,
                                     int Caught, int Defects, int FalseAlarms, int Controls, int QualitySamples, DateTimeOffset Created)
{
    /// <summary>One line for an audit report's notes.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"calibration of this data ({Created:yyyy-MM-dd HH:mm} UTC, policy {Policy}, n = {QualitySamples}): {Caught} of {Defects} defective generators caught, {FalseAlarms} of {Controls} healthy controls failed; see {Markdown}");
}

/// <summary>Writes a <see cref="CalibrationResult"/> as calibration.md and calibration.json, and finds the calibration of some data.</summary>
public static class CalibrationReport
{
    /// <summary>Schema identifier of calibration.json.</summary>
    public const string Schema = "genaudit.calibration/1";

    /// <summary>
    /// Writes calibration.md and calibration.json into <paramref name="folder"/> (atomically) and records them in
    /// <c>&lt;cache&gt;/calibration/&lt;fingerprint&gt;.json</c> (<paramref name="cacheFolder"/>, default the
    /// feature-classifier cache folder) so that audits of the same data link them. Returns the two paths.
    /// </summary>
    public static (string Markdown, string Json) Write(CalibrationResult result, string folder, string? cacheFolder = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(folder);
        var md = Path.GetFullPath(Path.Combine(folder, "calibration.md"));
        var json = Path.GetFullPath(Path.Combine(folder, "calibration.json"));
        AtomicFile.WriteAllText(md, Markdown(result));
        AtomicFile.WriteAllText(json, JsonDocument(result));
        var link = new CalibrationLink(result.Data, result.Fingerprint, md, json, result.Policy.Source, result.Caught, result.Defects,
            result.FalseAlarms, result.Controls, result.Options.QualitySamples, result.Created);
        var index = LinkPath(result.Fingerprint, cacheFolder);
        Directory.CreateDirectory(Path.GetDirectoryName(index)!);
        Json.WriteFile(index, link);
        return (md, json);
    }

    /// <summary>The cache file that points to the newest calibration of data with <paramref name="fingerprint"/>.</summary>
    public static string LinkPath(string fingerprint, string? cacheFolder = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fingerprint);
        return Path.Combine(cacheFolder ?? FeatureClassifierCache.DefaultFolder(), "calibration", fingerprint[..Math.Min(32, fingerprint.Length)] + ".json");
    }

    /// <summary>The newest calibration of data with <paramref name="fingerprint"/> whose report still exists, or null.</summary>
    public static CalibrationLink? Find(string fingerprint, string? cacheFolder = null)
    {
        var path = LinkPath(fingerprint, cacheFolder);
        if (!File.Exists(path)) return null;
        try
        {
            var link = Json.ReadFile<CalibrationLink>(path);
            return link.Fingerprint == fingerprint && File.Exists(link.Markdown) ? link : null;
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    static string F(double? value) => value switch
    {
        null => "—",
        { } v when double.IsNaN(v) => "NaN",
        { } v when double.IsInfinity(v) => v > 0 ? "∞" : "−∞",
        { } v => v.ToString("G4", CultureInfo.InvariantCulture),
    };

    static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");

    static string DescribeVerdict(Verdict v) => $"`{v.Threshold.Key}` {F(v.Value)} ({Cell(v.Threshold.Describe())}, margin {F(v.Margin)})";

    /// <summary>calibration.md: the table of generators, then every policy key's value per generator.</summary>
    public static string Markdown(CalibrationResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var s = new StringBuilder();
        s.Append("## GenAudit calibration: ").Append(Cell(r.Data)).Append("\n\n");
        s.Append(CultureInfo.InvariantCulture, $"Policy `{Cell(r.Policy.Source)}`, {r.Options.QualitySamples} generated samples per quality stage, {r.Options.StabilitySamples} pairs per stability measurement, seed {r.Options.Seed}; ")
         .Append(CultureInfo.InvariantCulture, $"lookup generators hold {r.Generators.BankSize} samples, latent size {r.Generators.LatentSize}. Data fingerprint `{r.Fingerprint[..Math.Min(16, r.Fingerprint.Length)]}`.\n\n");
        s.Append(CultureInfo.InvariantCulture, $"**Sensitivity {r.Caught}/{r.Defects}** (defects the audit failed; {r.CaughtAsMeant}/{r.Defects} on a key meant to catch them), ")
         .Append(CultureInfo.InvariantCulture, $"**false alarms {r.FalseAlarms}/{r.Controls}** (healthy controls the audit failed).\n\n");
        s.Append("| generator | audit | caught as meant | meant keys (value, bound, margin) | other failed keys |\n|---|---|---|---|---|\n");
        foreach (var row in r.Rows)
        {
            var meant = row.Meant;
            var others = row.Failed.Where(v => !meant.Contains(v)).ToList();
            s.Append("| `").Append(row.Kind.Name).Append('`').Append(row.Kind.IsControl ? " (control)" : "").Append(" | ")
             .Append(row.Passed ? "PASS" : "**FAIL**").Append(" | ")
             .Append(row.Kind.IsControl ? (row.Passed ? "n/a (passes, as it must)" : "**false alarm**") : row.CaughtAsMeant ? "yes" : "**no**").Append(" | ")
             .Append(meant.Count == 0 ? "—" : string.Join("; ", meant.Select(DescribeVerdict))).Append(" | ")
             .Append(others.Count == 0 ? "—" : string.Join("; ", others.Select(DescribeVerdict))).Append(" |\n");
        }
        s.Append("\nEvery policy key per generator (✗ = fails the bound):\n\n| key | bound |");
        foreach (var row in r.Rows) s.Append(" `").Append(row.Kind.Name).Append("` |");
        s.Append("\n|---|---|").Append(string.Concat(Enumerable.Repeat("---|", r.Rows.Count))).Append('\n');
        foreach (var threshold in r.Policy.Thresholds)
        {
            s.Append("| `").Append(threshold.Key).Append("` | ").Append(Cell(threshold.Describe())).Append(" |");
            foreach (var row in r.Rows)
            {
                var v = row.Verdicts.First(x => x.Threshold.Key == threshold.Key);
                s.Append(' ').Append(v.Status == VerdictStatus.NotApplicable ? "n/a" : F(v.Value)).Append(v.Passed ? "" : " ✗").Append(" |");
            }
            s.Append('\n');
        }
        s.Append("\nGenerators:\n\n");
        foreach (var row in r.Rows)
            s.Append("- `").Append(row.Kind.Name).Append("`: ").Append(row.Kind.Description).Append(CultureInfo.InvariantCulture, $" (audit {row.Seconds:F0} s, report `{Path.GetFileName(row.Folder)}/report.html`)\n");
        return s.ToString();
    }

    /// <summary>calibration.json (schema in docs/audit.md#calibration).</summary>
    public static string JsonDocument(CalibrationResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;
        static Dictionary<string, object?> VerdictJson(Verdict v) => new()
        {
            ["key"] = v.Threshold.Key,
            ["status"] = v.Status switch { VerdictStatus.Pass => "pass", VerdictStatus.Fail => "fail", _ => "notApplicable" },
            ["value"] = Finite(v.Value),
            ["min"] = v.Threshold.Min,
            ["max"] = v.Threshold.Max,
            ["margin"] = Finite(v.Margin),
        };
        var document = new Dictionary<string, object?>
        {
            ["schema"] = Schema,
            ["data"] = r.Data,
            ["fingerprint"] = r.Fingerprint,
            ["policy"] = r.Policy.Source,
            ["created"] = r.Created,
            ["seed"] = r.Options.Seed,
            ["qualitySamples"] = r.Options.QualitySamples,
            ["stabilitySamples"] = r.Options.StabilitySamples,
            ["bankSize"] = r.Generators.BankSize,
            ["latentSize"] = r.Generators.LatentSize,
            ["defects"] = r.Defects,
            ["caught"] = r.Caught,
            ["caughtAsMeant"] = r.CaughtAsMeant,
            ["controls"] = r.Controls,
            ["falseAlarms"] = r.FalseAlarms,
            ["sensitivity"] = Finite(r.Sensitivity),
            ["falseAlarmRate"] = Finite(r.FalseAlarmRate),
            ["generators"] = r.Rows.Select(row => new Dictionary<string, object?>
            {
                ["name"] = row.Kind.Name,
                ["description"] = row.Kind.Description,
                ["control"] = row.Kind.IsControl,
                ["passed"] = row.Passed,
                ["correct"] = row.Correct,
                ["caughtAsMeant"] = row.CaughtAsMeant,
                ["meantToCatch"] = row.MeantToCatch,
                ["failedKeys"] = row.Failed.Select(v => v.Threshold.Key).ToList(),
                ["verdicts"] = row.Verdicts.Select(VerdictJson).ToList(),
                ["report"] = Path.GetFullPath(Path.Combine(row.Folder, "report.html")),
                ["seconds"] = row.Seconds,
            }).ToList(),
        };
        return JsonSerializer.Serialize(document, Json.Options) + "\n";
    }
}
