using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace GenAudit.Audit;

/// <summary>
/// Writes an <see cref="AuditResult"/> as report.html (one self-contained file: images inline, and a
/// glossary with the docs/metrics.md definition of every key it shows, so no link leaves the file),
/// summary.json (schema <see cref="Schema"/>, documented in docs/audit.md) and summary.md.
/// Every string that comes from a user or a file is HTML-escaped.
/// </summary>
public static class AuditReport
{
    /// <summary>Schema identifier of summary.json.</summary>
    public const string Schema = "genaudit.audit/1";

    static readonly string[] ExplanationSuffixes = ["explainability", "faithfulness", "robustness", "sanity", "deletionAuc", "insertionAuc", "faithfulnessCorrelation", "infidelity", "maxSensitivity", "avgSensitivity", "sparseness", "complexity", "completenessError", "lime.r2"];

    /// <summary>Writes the three files into <paramref name="folder"/>; returns their paths (html, json, md).</summary>
    public static (string Html, string Json, string Markdown) Write(AuditResult result, string folder)
    {
        Directory.CreateDirectory(folder);
        var html = Path.Combine(folder, "report.html");
        var json = Path.Combine(folder, "summary.json");
        var md = Path.Combine(folder, "summary.md");
        Core.AtomicFile.WriteAllText(html, Html(result));
        Core.AtomicFile.WriteAllText(json, SummaryJson(result, folder));
        Core.AtomicFile.WriteAllText(md, Markdown(result));
        return (html, json, md);
    }

    static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    // A failed numerics self-check is a finding of the audit, shown like a failed gate.
    static string Numerics(Core.NumericsRecord n) =>
        n.Certified ? E(n.Describe()) : "<span class=\"fail\">" + E(n.Describe() + " — determinism is not certified on this machine") + "</span>";

    static string F(double? value) => value switch
    {
        null => "—",
        { } v when double.IsNaN(v) => "NaN",
        { } v when Math.Abs(v) >= 1000 || (v == Math.Floor(v) && Math.Abs(v) < 1e15) => v.ToString("G6", CultureInfo.InvariantCulture),
        { } v => v.ToString("G4", CultureInfo.InvariantCulture),
    };

    static string Status(VerdictStatus status) => status switch
    {
        VerdictStatus.Pass => "pass",
        VerdictStatus.Fail => "FAIL",
        _ => "not applicable",
    };

    /// <summary>The report as one HTML document.</summary>
    public static string Html(AuditResult r)
    {
        var card = r.Card;
        var manifest = card.Manifest;
        var s = new StringBuilder();
        s.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>GenAudit report: ").Append(E(card.RunPath)).Append("</title>\n<style>")
         .Append("body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}")
         .Append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}")
         .Append("th{background:#f3f3f3}.pass{color:#176f2c}.fail{color:#b00020;font-weight:bold}.na{color:#777}")
         .Append(".banner{padding:.6em 1em;font-size:1.5em;border-radius:6px}.banner.pass{background:#e2f4e6}.banner.fail{background:#fde3e6}")
         .Append("small{color:#666}img{max-width:100%;border:1px solid #ddd;margin:.3em 0}code{background:#f6f6f6;padding:0 3px}")
         .Append("#glossary>div{border-top:1px solid #ddd;margin-top:1em}#glossary pre{background:#f6f6f6;padding:.5em;overflow-x:auto}")
         .Append("</style></head>\n<body>\n");

        s.Append("<section id=\"verdict\"><h1>GenAudit report</h1>\n<p>Run <code>").Append(E(card.RunPath)).Append("</code>, checkpoint step ").Append(card.Step)
         .Append(card.UsesEma ? " (EMA generator)" : "").Append(".</p>\n");
        var failed = r.Verdicts.Where(v => !v.Passed).ToList();
        s.Append("<p class=\"banner ").Append(r.Passed ? "pass\">PASS" : "fail\">FAIL").Append(": ")
         .Append(r.Passed ? "every threshold of the policy holds" : $"{failed.Count} of {r.Verdicts.Count} thresholds fail ({E(string.Join(", ", failed.Select(v => v.Threshold.Key)))})")
         .Append("</p>\n<p>Policy: <code>").Append(E(r.Policy.Source)).Append("</code>. Margin = distance to the nearer bound, positive when inside. Keys the run does not measure are <em>not applicable</em> and pass.</p>\n");
        s.Append("<table><tr><th>key</th><th>value</th><th>threshold</th><th>margin</th><th>result</th><th>definition</th></tr>\n");
        foreach (var v in r.Verdicts)
        {
            var css = v.Status switch { VerdictStatus.Pass => "pass", VerdictStatus.Fail => "fail", _ => "na" };
            s.Append("<tr><td><code>").Append(E(v.Threshold.Key)).Append("</code></td><td>").Append(F(v.Value)).Append("</td><td>").Append(E(v.Threshold.Describe()))
             .Append("</td><td>").Append(F(v.Margin)).Append("</td><td class=\"").Append(css).Append("\">").Append(Status(v.Status)).Append(v.Reason is { } why ? "<br><small>" + E(why) + "</small>" : "").Append("</td><td>")
             .Append(Definition(v.Threshold.Key)).Append("</td></tr>\n");
        }
        s.Append("</table></section>\n");

        s.Append("<section id=\"model-card\"><h2>Model card</h2><table>\n");
        void Row(string name, string valueHtml) => s.Append("<tr><th>").Append(name).Append("</th><td>").Append(valueHtml).Append("</td></tr>\n");
        var config = manifest.Config;
        Row("model", E($"{config.Model.Family} — latent {config.Model.LatentSize}, width {config.Model.Width}, conditions {config.Model.ConditionCount}, spectral norm {config.Model.SpectralNorm}"));
        Row("source", E(manifest.Source + (manifest.Import is { } import ? $" ({import.Format}, {import.OriginalFile}, sha256 {import.Sha256})" : "")));
        Row("data", E($"{manifest.Data.Name}: {manifest.Data.Count} samples of [{string.Join(", ", manifest.Data.SampleShape)}], {manifest.Data.ClassCount} classes"));
        Row("data fingerprint", "<code>" + E(manifest.Data.Fingerprint) + "</code>" + (card.DataWarning is { } w ? "<br><span class=\"fail\">" + E(w) + "</span>" : ""));
        Row("training", E($"{config.Steps} steps, batch {config.BatchSize}, loss {config.Loss}, lr G {config.LearningRateG} / D {config.LearningRateD}, EMA {config.EmaDecay}, R1 γ {config.R1Gamma}"));
        Row("seed", E(config.Seed.ToString(CultureInfo.InvariantCulture)));
        Row("versions (training)", E($"GenAudit {manifest.Versions.GenAudit}, TorchSharp {manifest.Versions.TorchSharp}, libtorch {manifest.Versions.LibTorch}, {manifest.Versions.DotNet}, {manifest.Versions.Os}"));
        Row("versions (audit)", E($"GenAudit {card.AuditVersions.GenAudit}, TorchSharp {card.AuditVersions.TorchSharp}, libtorch {card.AuditVersions.LibTorch}, {card.AuditVersions.DotNet}"));
        Row("CPU and kernels (training)", manifest.Versions.Numerics is { } trained ? Numerics(trained) : E("not recorded (run made before GenAudit recorded it)"));
        Row("CPU and kernels (audit)", card.AuditVersions.Numerics is { } audited ? Numerics(audited) : E("not recorded"));
        Row("architecture", "<details><summary>" + E(string.Join("; ", manifest.Networks.Select(n => $"{n.Name}: {n.Forward}"))) + "</summary><pre>"
            + E(JsonSerializer.Serialize(manifest.Networks, Core.Json.Options)) + "</pre></details>");
        Row("full configuration", "<details><summary>manifest config</summary><pre>" + E(JsonSerializer.Serialize(config, Core.Json.Options)) + "</pre></details>");
        Row("audit settings", E($"seed {r.Options.Seed}, quality n {r.Options.QualitySamples}, stability n {r.Options.StabilitySamples}, ε {string.Join(", ", r.Options.Epsilons)}, explanation n {r.Options.ExplainSamples}; stage seconds: {string.Join(", ", r.StageSeconds.Select(kv => $"{kv.Key} {kv.Value:F0}"))}"));
        s.Append("</table></section>\n");

        s.Append("<section id=\"samples\"><h2>Samples</h2>").Append(Images(r, "samples", "generated samples")).Append("</section>\n");

        s.Append("<section id=\"training\"><h2>Training curves and dynamics</h2>").Append(Images(r, "training", "training losses"));
        var flags = r.Stability.DynamicsFlags;
        if (flags is null) s.Append("<p>No training history: dynamics not analysed.</p>");
        else if (flags.Count == 0) s.Append("<p class=\"pass\">No dynamics flags (oscillation, gradient spikes, discriminator saturation, divergence).</p>");
        else s.Append("<ul>").Append(string.Concat(flags.Select(f => $"<li class=\"fail\">{E(f.Kind)} at step {f.Step} ({E(f.Series)}): {E(f.Message)}</li>"))).Append("</ul>");
        s.Append("</section>\n");

        var stabilityKeys = r.Stability.ToFlatDictionary().Keys.ToHashSet();
        var explanationKeys = r.Values.Keys.Where(k => k == "explainability" || r.Explanations.Report.Methods.Any(m => k.StartsWith(m.Method + ".", StringComparison.Ordinal))).ToHashSet();
        s.Append("<section id=\"quality\"><h2>Quality and coverage</h2>")
         .Append(ValueTable(r.Values.Where(kv => !stabilityKeys.Contains(kv.Key) && !explanationKeys.Contains(kv.Key)))).Append("</section>\n");
        s.Append("<section id=\"stability\"><h2>Stability</h2>").Append(Images(r, "stability", "stability curve"));
        if (r.Stability.Repeat.Failure is { } failure) s.Append("<p class=\"fail\">").Append(E(failure)).Append("</p>");
        s.Append(ValueTable(r.Values.Where(kv => stabilityKeys.Contains(kv.Key)))).Append("</section>\n");

        var ex = r.Explanations;
        s.Append("<section id=\"explanations\"><h2>Explanations</h2><p>Target <code>").Append(E(ex.Target)).Append("</code>: ").Append(E(ex.TargetReason))
         .Append(". Inputs are the latent vectors z of ").Append(ex.Report.N).Append(" generated samples; baseline z = 0.</p>")
         .Append(Images(r, "attributions", "attribution heatmap"));
        s.Append("<h3 id=\"traversals\">Latent traversals</h3>").Append(Images(r, "traversals", "latent traversals"));
        s.Append("<h3 id=\"evaluation\">Explanation evaluation</h3><p>Recommended method: <strong>").Append(E(ex.Report.BestMethod))
         .Append("</strong> (highest Explainability(G) among the methods that are not controls; margin over the random control ").Append(F(ex.Report.Margin))
         .Append("). Rows marked <em>control</em> ignore the model; they are scored to show what a method must beat and are never recommended.</p>");
        if (ex.Report.NotApplicableReason is { } notApplicable) s.Append("<p class=\"na\">Explainability not applicable: ").Append(E(notApplicable)).Append(".</p>");
        s.Append("<table><tr><th>method</th>").Append(string.Concat(ExplanationSuffixes.Select(k => $"<th>{E(k)}<br>{DirectionNote("*." + k)}</th>"))).Append("</tr>\n");
        foreach (var method in ex.Report.Ranking)
        {
            var isControl = ex.Report.Methods.First(m => m.Method == method).IsControl;
            s.Append("<tr><td>").Append(E(method)).Append(method == ex.Report.BestMethod ? " ★" : "").Append(isControl ? " <em>(control)</em>" : "").Append("</td>");
            foreach (var suffix in ExplanationSuffixes)
                s.Append("<td>").Append(r.Values.TryGetValue(method + "." + suffix, out var v) ? F(v) : "—").Append("</td>");
            s.Append("</tr>\n");
        }
        s.Append("</table></section>\n");

        s.Append("<section id=\"notes\"><h2>Notes</h2><ul>").Append(string.Concat(r.Notes.Select(n => $"<li>{E(n)}</li>"))).Append("</ul>")
         .Append("<p><small>Summary schema: ").Append(Schema).Append(" (docs/audit.md of GenAudit).</small></p></section>\n");
        s.Append(Glossary(r));
        // Lets a headless browser test read whether every inline image decoded.
        s.Append("<script>window.addEventListener('load',function(){var i=Array.from(document.images);var ok=i.length>0&&i.every(function(x){return x.complete&&x.naturalWidth>0});")
         .Append("document.body.setAttribute('data-images',ok?'decoded':'broken');document.body.setAttribute('data-image-count',String(i.length));});</script>\n");
        s.Append("</body></html>\n");
        return s.ToString();
    }

    static string Images(AuditResult r, string role, string alt)
    {
        if (!r.Images.TryGetValue(role, out var paths) || paths.Count == 0) return "<p class=\"na\">Not available for this run.</p>";
        return string.Concat(paths.Select(p => $"<figure><img alt=\"{E(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(p))}\"><figcaption><small>{E(Path.GetFileName(p))}</small></figcaption></figure>"));
    }

    static string DirectionNote(string key)
    {
        var info = MetricCatalog.Find(key);
        return info is null ? "" : $"<small>{E(MetricCatalog.Arrow(info.Direction))}</small>";
    }

    static string Definition(string key)
    {
        var info = MetricCatalog.Find(key);
        if (info is null) return "<small>supporting value</small>";
        return $"{E(info.Title)}<br><small>{E(MetricCatalog.Arrow(info.Direction))}{(info.Direction == MetricDirection.None ? "" : "; ")}range {E(info.Range)}; <a href=\"#{MetricGlossary.IdPrefix}{E(info.Anchor)}\">definition</a></small>";
    }

    /// <summary>
    /// The definitions of every key in the report (the policy's and the measured values'), one
    /// section per docs/metrics.md anchor they use (in the catalog's order): the catalog entries of those keys (a '*' stands for a method, an ε
    /// or a condition) with their direction and range, then the section's text.
    /// </summary>
    static string Glossary(AuditResult r)
    {
        var used = r.Verdicts.Select(v => v.Threshold.Key).Concat(r.Values.Keys).Select(MetricCatalog.Find).OfType<MetricInfo>().ToHashSet();
        var s = new StringBuilder("<section id=\"glossary\"><h2>Glossary</h2><p>The definitions of the keys above, from docs/metrics.md of GenAudit ")
            .Append(E(r.Card.AuditVersions.GenAudit)).Append(".</p>\n");
        foreach (var entries in MetricCatalog.All.Where(used.Contains).GroupBy(e => e.Anchor))
        {
            var anchor = entries.Key;
            var section = MetricGlossary.Sections.TryGetValue(anchor, out var found) ? found
                : throw new InvalidOperationException($"docs/metrics.md has no section with anchor '{anchor}', which MetricCatalog names; add <a id=\"{anchor}\"></a> above its heading (tools/docs/build-metrics.py)");
            s.Append("<div id=\"").Append(MetricGlossary.IdPrefix).Append(E(anchor)).Append("\"><h3>").Append(E(section.Title)).Append("</h3>")
             .Append("<table><tr><th>key</th><th>meaning</th><th>direction</th><th>range</th></tr>");
            foreach (var info in entries)
                s.Append("<tr><td><code>").Append(E(info.Key)).Append("</code></td><td>").Append(E(info.Title)).Append("</td><td>")
                 .Append(E(info.Direction == MetricDirection.None ? "informational" : MetricCatalog.Arrow(info.Direction))).Append("</td><td>").Append(E(info.Range)).Append("</td></tr>");
            s.Append("</table>\n").Append(section.Html).Append("</div>\n");
        }
        return s.Append("</section>\n").ToString();
    }

    static string ValueTable(IEnumerable<KeyValuePair<string, double>> values)
    {
        var s = new StringBuilder("<table><tr><th>key</th><th>value</th><th>definition</th></tr>\n");
        foreach (var (key, value) in values)
            s.Append("<tr><td><code>").Append(E(key)).Append("</code></td><td>").Append(F(value)).Append("</td><td>").Append(Definition(key)).Append("</td></tr>\n");
        return s.Append("</table>").ToString();
    }

    /// <summary>summary.json: the verdicts, every value and the run's identity (schema in docs/audit.md#summary-json).</summary>
    public static string SummaryJson(AuditResult r, string folder)
    {
        static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;
        var manifest = r.Card.Manifest;
        var document = new Dictionary<string, object?>
        {
            ["schema"] = Schema,
            ["passed"] = r.Passed,
            ["exitCode"] = r.Passed ? 0 : 1,
            ["run"] = r.Card.RunPath,
            ["checkpointStep"] = r.Card.Step,
            ["data"] = new Dictionary<string, object?> { ["name"] = manifest.Data.Name, ["fingerprint"] = manifest.Data.Fingerprint },
            ["seed"] = r.Options.Seed,
            ["policy"] = r.Policy.Source,
            ["verdicts"] = r.Verdicts.Select(v => new Dictionary<string, object?>
            {
                ["key"] = v.Threshold.Key,
                ["status"] = v.Status switch { VerdictStatus.Pass => "pass", VerdictStatus.Fail => "fail", _ => "notApplicable" },
                ["value"] = Finite(v.Value),
                ["min"] = v.Threshold.Min,
                ["max"] = v.Threshold.Max,
                ["margin"] = Finite(v.Margin),
                ["reason"] = v.Reason,
            }).ToList(),
            ["values"] = r.Values.ToDictionary(kv => kv.Key, kv => Finite(kv.Value)),
            ["explanations"] = new Dictionary<string, object?>
            {
                ["target"] = r.Explanations.Target,
                ["recommended"] = r.Explanations.Report.BestMethod,
                ["ranking"] = r.Explanations.Report.Ranking,
                ["controls"] = r.Explanations.Report.Methods.Where(m => m.IsControl).Select(m => m.Method).ToList(),
                ["notApplicable"] = r.Explanations.Report.NotApplicableReason,
            },
            ["dynamicsFlags"] = r.Stability.DynamicsFlags?.Select(f => f.ToString()).ToList(),
            ["images"] = r.Images.Values.SelectMany(p => p).Select(p => Path.GetRelativePath(folder, p)).ToList(),
            ["notes"] = r.Notes,
            ["stageSeconds"] = r.StageSeconds,
            ["versions"] = r.Card.AuditVersions,
        };
        return JsonSerializer.Serialize(document, Core.Json.Options) + "\n";
    }

    /// <summary>
    /// A Markdown code span around <paramref name="text"/>, fenced by a backtick run longer than any
    /// inside it (CommonMark), so a run path or key holding backticks cannot close the span early and
    /// inject markup into a pull-request comment.
    /// </summary>
    internal static string CodeSpan(string text)
    {
        int longest = 0, run = 0;
        foreach (var c in text) longest = Math.Max(longest, run = c == '`' ? run + 1 : 0);
        var fence = new string('`', longest + 1);
        var pad = text.StartsWith('`') || text.EndsWith('`') ? " " : "";
        return fence + pad + text + pad + fence;
    }

    /// <summary>summary.md: the verdict table for a pull-request comment.</summary>
    public static string Markdown(AuditResult r)
    {
        static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ").Replace("<", "&lt;").Replace(">", "&gt;");
        static string Code(string text) => CodeSpan(Cell(text));
        var s = new StringBuilder();
        s.Append("## GenAudit: ").Append(r.Passed ? "✅ PASS" : "❌ FAIL").Append("\n\n");
        s.Append("Run ").Append(Code(r.Card.RunPath)).Append(" (step ").Append(r.Card.Step).Append("), policy ").Append(Code(r.Policy.Source)).Append(".\n\n");
        s.Append("| key | value | threshold | margin | result |\n|---|---|---|---|---|\n");
        foreach (var v in r.Verdicts)
            s.Append("| ").Append(Code(v.Threshold.Key)).Append(" | ").Append(F(v.Value)).Append(" | ").Append(Cell(v.Threshold.Describe())).Append(" | ").Append(F(v.Margin)).Append(" | ")
             .Append(v.Status == VerdictStatus.Fail ? "**FAIL**" : Status(v.Status)).Append(v.Reason is { } why ? " (" + Cell(why) + ")" : "").Append(" |\n");
        s.Append("\nRecommended explanation method: ").Append(Code(r.Explanations.Report.BestMethod)).Append(" (Explainability(G) ")
         .Append(F(r.Explanations.Report.Explainability)).Append(", target ").Append(Code(r.Explanations.Target)).Append(").\n");
        return s.ToString();
    }
}
