using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using GenAudit.Rendering;

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

    /// <summary>The reports' style sheet, shared by report.html and the audit-many index.</summary>
    internal const string Style =
        "body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        + "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
        + "th{background:#f3f3f3}.pass{color:#176f2c}.fail{color:#b00020;font-weight:bold}.na{color:#777}"
        + ".banner{padding:.6em 1em;font-size:1.5em;border-radius:6px}.banner.pass{background:#e2f4e6}.banner.fail{background:#fde3e6}"
        + "small{color:#666}img{max-width:100%;border:1px solid #ddd;margin:.3em 0}code{background:#f6f6f6;padding:0 3px}"
        + ".clips{display:flex;flex-wrap:wrap;gap:.5em}.clip{margin:0}.clip audio{width:220px}"
        + "#glossary>div{border-top:1px solid #ddd;margin-top:1em}#glossary pre{background:#f6f6f6;padding:.5em;overflow-x:auto}";

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

    /// <summary>A verdict's status as summary.json spells it.</summary>
    internal static string JsonStatus(VerdictStatus status) => status switch
    {
        VerdictStatus.Pass => "pass",
        VerdictStatus.Fail => "fail",
        VerdictStatus.NotApplicable => "notApplicable",
        VerdictStatus.NotMeasured => "notMeasured",
        _ => "stageFailed",
    };

    /// <summary>The report as one HTML document.</summary>
    public static string Html(AuditResult r)
    {
        var card = r.Card;
        var manifest = card.Manifest;
        var s = new StringBuilder();
        s.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>GenAudit report: ").Append(E(card.RunPath)).Append("</title>\n<style>")
         .Append(Style)
         .Append("</style></head>\n<body>\n");

        s.Append("<section id=\"verdict\"><h1>GenAudit report</h1>\n<p>Run <code>").Append(E(card.RunPath)).Append("</code>, checkpoint step ").Append(card.Step)
         .Append(card.UsesEma ? " (EMA generator)" : "").Append(".</p>\n");
        s.Append("<p class=\"banner ").Append(r.Passed ? "pass\">PASS" : "fail\">FAIL").Append(": ").Append(E(Headline(r))).Append("</p>\n");
        foreach (var (stage, reason) in r.FailedStages)
            s.Append("<p class=\"fail\">Stage ").Append(E(stage)).Append(" failed: ").Append(E(reason)).Append("</p>\n");
        s.Append("<p>Policy: <code>").Append(E(r.Policy.Source)).Append("</code>").Append(r.Options.Strict ? " (strict: uncertain verdicts fail)" : "")
         .Append(". Margin = distance to the nearer bound, positive when inside. <em>Real</em> = the same key measured on held-out real data (the real row); a ratio bound multiplies it. ")
         .Append("<em>95% interval</em> = percentile bootstrap (").Append(Metrics.Bootstrap.DefaultResamples).Append(" resamples); a verdict whose interval straddles its bound is <em>uncertain</em>. ")
         .Append("Keys this kind of run cannot produce are <em>not applicable</em> and pass; the reason is given.</p>\n");
        s.Append("<p>Feature space of fid, kid, PRDC, isScore, copies and authenticity: ").Append(E(r.FeatureSpace ?? "not measured")).Append("; ").Append(E(SampleSizes(r))).Append(".</p>\n");
        s.Append("<table><tr><th>key</th><th>value</th><th>95% interval</th><th>real</th><th>threshold</th><th>margin</th><th>result</th><th>definition</th></tr>\n");
        foreach (var v in r.Verdicts)
        {
            var css = v.Status switch { VerdictStatus.Pass => v.Uncertain ? "na" : "pass", VerdictStatus.Fail or VerdictStatus.NotMeasured or VerdictStatus.StageFailed => "fail", _ => "na" };
            s.Append("<tr><td><code>").Append(E(v.Threshold.Key)).Append("</code></td><td>").Append(F(v.Value)).Append("</td><td>").Append(E(Interval(v.Interval)))
             .Append("</td><td>").Append(F(v.RealValue)).Append("</td><td>").Append(E(v.Threshold.Describe()))
             .Append("</td><td>").Append(F(v.Margin)).Append("</td><td class=\"").Append(css).Append("\">").Append(E(v.StatusText))
             .Append(v.Reason is { } reason ? "<br><small>" + E(reason) + "</small>" : "").Append("</td><td>")
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
        Row("audit settings", E($"seed {r.Options.Seed}{(r.Options.Strict ? ", strict" : "")}, quality n {r.Options.QualitySamples}, stability n {r.Options.StabilitySamples}, ε {string.Join(", ", r.Options.Epsilons)}, explanation n {r.Options.ExplainSamples}; stage seconds: {string.Join(", ", r.StageSeconds.Select(kv => $"{kv.Key} {kv.Value:F0}"))}"));
        s.Append("</table></section>\n");

        s.Append("<section id=\"samples\"><h2>Samples</h2>").Append(r.SampleText is { } text ? TextSamples(text) : Images(r, "samples", "generated samples")).Append(Clips(r)).Append("</section>\n");

        s.Append("<section id=\"training\"><h2>Training curves and dynamics</h2>").Append(Images(r, "training", "training losses"));
        var flags = r.Stability?.DynamicsFlags;
        if (r.Stability is null && !r.FailedStages.ContainsKey("stability")) s.Append("<p class=\"na\">Dynamics not analysed for this kind of run (see the notes).</p>");
        else if (r.Stability is null) s.Append("<p class=\"fail\">The stability stage failed: dynamics not analysed.</p>");
        else if (flags is null) s.Append("<p>No training history: dynamics not analysed.</p>");
        else if (flags.Count == 0) s.Append("<p class=\"pass\">No dynamics flags (oscillation, gradient spikes, discriminator saturation, divergence).</p>");
        else s.Append("<ul>").Append(string.Concat(flags.Select(f => $"<li class=\"fail\">{E(f.Kind)} at step {f.Step} ({E(f.Series)}): {E(f.Message)}</li>"))).Append("</ul>");
        s.Append("</section>\n");

        var qualityKeys = Metrics.QualityEvaluation.Keys.Concat(r.Values.Keys.Where(TextKeys.IsQuality)).ToHashSet();
        s.Append("<section id=\"quality\"><h2>Quality, coverage and memorisation</h2><p>");
        if (r.QualityDescription is { } described) s.Append(E(described));
        else s.Append("Measured in ").Append(E(r.FeatureSpace ?? "—")).Append("; ").Append(E(SampleSizes(r))).Append(". ")
         .Append(E(r.Real is { } real ? $"The real column is {real.CandidateCount} held-out real samples measured as if generated, against {real.ReferenceCount} training samples (copies and authenticity: against all {real.CopyTrainingCount}){(real.FromCache ? "; read from the cache" : "")}." : "No real column: " + (r.NoRealRowReason ?? "no real row") + "."));
        s.Append("</p>").Append(ValueTable(r, r.Values.Where(kv => qualityKeys.Contains(kv.Key)))).Append("</section>\n");
        s.Append("<section id=\"stability\"><h2>Stability</h2>").Append(Images(r, "stability", "stability curve"));
        if (r.Stability?.Repeat.Failure is { } failure) s.Append("<p class=\"fail\">").Append(E(failure)).Append("</p>");
        s.Append(ValueTable(r, r.Values.Where(kv => KeyCoverage.StageOf(kv.Key) == "stability" && !qualityKeys.Contains(kv.Key)))).Append("</section>\n");

        if (r.Explanations is { } ex) Explanations(s, r, ex);
        else if (r.FailedStages.TryGetValue("explanations", out var explainError))
            s.Append("<section id=\"explanations\"><h2>Explanations</h2><p class=\"fail\">The explanation stage failed: ").Append(E(explainError)).Append("</p></section>\n");
        else s.Append("<section id=\"explanations\"><h2>Explanations</h2><p class=\"na\">Not measured: ").Append(E(TokenAudit.NoExplanations)).Append(".</p></section>\n");
        Tail(s, r);
        return s.ToString();
    }

    static void Explanations(StringBuilder s, AuditResult r, ExplanationStage ex)
    {
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
    }

    static void Tail(StringBuilder s, AuditResult r)
    {
        s.Append("<section id=\"notes\"><h2>Notes</h2><ul>").Append(string.Concat(r.Notes.Select(n => $"<li>{E(n)}</li>"))).Append("</ul>")
         .Append("<p><small>Summary schema: ").Append(Schema).Append(" (docs/audit.md of GenAudit).</small></p></section>\n");
        s.Append(Glossary(r));
        // Lets a headless browser test read whether every inline image decoded.
        s.Append("<script>window.addEventListener('load',function(){var i=Array.from(document.images);var ok=i.length>0&&i.every(function(x){return x.complete&&x.naturalWidth>0});")
         .Append("document.body.setAttribute('data-images',ok?'decoded':'broken');document.body.setAttribute('data-image-count',String(i.length));});</script>\n");
        s.Append("</body></html>\n");
    }

    /// <summary>The banner's sentence: what failed, what was not measured, what is uncertain.</summary>
    static string Headline(AuditResult r)
    {
        var parts = new List<string>();
        if (r.FailedStages.Count > 0) parts.Add($"measurement failed in {string.Join(", ", r.FailedStages.Keys)} (exit 3)");
        var notMeasured = r.Verdicts.Where(v => v.Status == VerdictStatus.NotMeasured).Select(v => v.Threshold.Key).ToList();
        if (notMeasured.Count > 0) parts.Add($"not measured: {string.Join(", ", notMeasured)} (exit 2)");
        var failed = r.Verdicts.Where(v => v.Status == VerdictStatus.Fail || (v.Passed && !v.PassedUnder(r.Options.Strict))).Select(v => v.Threshold.Key).ToList();
        if (failed.Count > 0) parts.Add($"{failed.Count} of {r.Verdicts.Count} thresholds fail ({string.Join(", ", failed)})");
        if (parts.Count == 0) parts.Add("every threshold of the policy holds");
        var uncertain = r.Verdicts.Where(v => v.Uncertain).Select(v => v.Threshold.Key).ToList();
        if (uncertain.Count > 0) parts.Add($"uncertain: {string.Join(", ", uncertain)}{(r.Options.Strict ? " (counted as failed: --strict)" : " (their intervals straddle the bound; --strict fails them)")}");
        return string.Join("; ", parts);
    }

    /// <summary>"n = 5000 generated vs 5000 held-out real samples".</summary>
    static string SampleSizes(AuditResult r) =>
        r.Values.TryGetValue("samples.generated", out var n) && r.Values.TryGetValue("samples.real", out var m)
            ? $"n = {n:F0} generated vs {m:F0} held-out real samples" : "sample sizes not measured";

    static string Interval(Metrics.ConfidenceInterval? interval) =>
        interval is null ? "—" : $"[{F(interval.Lower)}, {F(interval.Upper)}]";

    /// <summary>Players for the run's sound files, generated then real, each WAV inline as base64; empty when there are none.</summary>
    static string Clips(AuditResult r)
    {
        if (r.Clips.Count == 0) return "";
        static string Players(IEnumerable<SampleClip> clips) => string.Concat(clips.Select(c =>
            $"<figure class=\"clip\"><figcaption><small>{E(c.Caption)}</small></figcaption><audio controls preload=\"auto\" src=\"data:audio/wav;base64,{Convert.ToBase64String(File.ReadAllBytes(c.Path))}\"></audio></figure>"));
        var s = new StringBuilder("<h3 id=\"listen\">Listen</h3><p>Generated samples, then real training samples, each decoded to sound the same way (docs/data.md#digits-speech).</p>");
        s.Append("<div class=\"clips\">").Append(Players(r.Clips.Where(c => !c.Real))).Append("</div>");
        if (r.Clips.Any(c => c.Real)) s.Append("<div class=\"clips\">").Append(Players(r.Clips.Where(c => c.Real))).Append("</div>");
        return s.ToString();
    }

    static string Images(AuditResult r, string role, string alt)
    {
        if (!r.Images.TryGetValue(role, out var paths) || paths.Count == 0) return "<p class=\"na\">Not available for this run.</p>";
        return string.Concat(paths.Select(p => $"<figure><img alt=\"{E(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(p))}\"><figcaption><small>{E(Path.GetFileName(p))}</small></figcaption></figure>"));
    }

    /// <summary>Generated sequences as an ordered list, every character escaped (samples are model output, never markup).</summary>
    static string TextSamples(IReadOnlyList<string> samples) =>
        samples.Count == 0 ? "<p class=\"na\">No samples.</p>"
            : "<p>The first " + samples.Count + " generated sequences of the quality stage (latents from the audit seed), cut at the end token:</p><ol class=\"text-samples\">"
              + string.Concat(samples.Select(t => "<li><code>" + E(t) + "</code></li>")) + "</ol>";

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

    static string ValueTable(AuditResult r, IEnumerable<KeyValuePair<string, double>> values)
    {
        var s = new StringBuilder("<table><tr><th>key</th><th>value</th><th>95% interval</th><th>real</th><th>definition</th></tr>\n");
        foreach (var (key, value) in values)
            s.Append("<tr><td><code>").Append(E(key)).Append("</code></td><td>").Append(F(value)).Append("</td><td>").Append(E(Interval(r.Intervals.GetValueOrDefault(key))))
             .Append("</td><td>").Append(F(r.Real is { } real && real.Values.TryGetValue(key, out var x) ? x : null)).Append("</td><td>").Append(Definition(key)).Append("</td></tr>\n");
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
            ["exitCode"] = r.ExitCode,
            ["strict"] = r.Options.Strict,
            ["run"] = r.Card.RunPath,
            ["checkpointStep"] = r.Card.Step,
            ["data"] = new Dictionary<string, object?> { ["name"] = manifest.Data.Name, ["fingerprint"] = manifest.Data.Fingerprint },
            ["seed"] = r.Options.Seed,
            ["policy"] = r.Policy.Source,
            ["verdicts"] = r.Verdicts.Select(v => new Dictionary<string, object?>
            {
                ["key"] = v.Threshold.Key,
                ["status"] = JsonStatus(v.Status),
                ["uncertain"] = v.Uncertain,
                ["value"] = Finite(v.Value),
                ["interval"] = v.Interval is { } i ? new[] { i.Lower, i.Upper } : null,
                ["real"] = Finite(v.RealValue),
                ["min"] = v.Threshold.Min,
                ["max"] = v.Threshold.Max,
                ["minRatio"] = v.Threshold.MinRatio,
                ["maxRatio"] = v.Threshold.MaxRatio,
                ["margin"] = Finite(v.Margin),
                ["reason"] = v.Reason,
            }).ToList(),
            ["values"] = r.Values.ToDictionary(kv => kv.Key, kv => Finite(kv.Value)),
            ["featureSpace"] = new Dictionary<string, object?>
            {
                ["name"] = r.FeatureSpace,
                ["identity"] = r.FeatureSpaceIdentity,
                ["classifierAccuracy"] = r.Values.TryGetValue("classifier.accuracy", out var accuracy) ? accuracy : null,
                ["generated"] = r.Values.TryGetValue("samples.generated", out var generated) ? generated : null,
                ["reference"] = r.Values.TryGetValue("samples.real", out var reference) ? reference : null,
            },
            ["real"] = r.Real is { } real ? new Dictionary<string, object?>
            {
                ["values"] = real.Values.ToDictionary(kv => kv.Key, kv => Finite(kv.Value)),
                ["candidates"] = real.CandidateCount,
                ["reference"] = real.ReferenceCount,
                ["copyTraining"] = real.CopyTrainingCount,
                ["seed"] = real.Seed,
                ["fromCache"] = real.FromCache,
            } : null,
            ["noRealRowReason"] = r.NoRealRowReason,
            ["intervals"] = new Dictionary<string, object?>
            {
                ["level"] = Metrics.Bootstrap.DefaultLevel,
                ["resamples"] = Metrics.Bootstrap.DefaultResamples,
                ["byKey"] = r.Intervals.ToDictionary(kv => kv.Key, kv => new Dictionary<string, object?> { ["lower"] = kv.Value.Lower, ["upper"] = kv.Value.Upper, ["unit"] = kv.Value.Unit }),
            },
            ["failedStages"] = r.FailedStages,
            ["explanations"] = r.Explanations is { } ex ? new Dictionary<string, object?>
            {
                ["target"] = ex.Target,
                ["recommended"] = ex.Report.BestMethod,
                ["ranking"] = ex.Report.Ranking,
                ["controls"] = ex.Report.Methods.Where(m => m.IsControl).Select(m => m.Method).ToList(),
                ["notApplicable"] = ex.Report.NotApplicableReason,
            } : null,
            ["dynamicsFlags"] = r.Stability?.DynamicsFlags?.Select(f => f.ToString()).ToList(),
            ["images"] = r.Images.Values.SelectMany(p => p).Select(p => Path.GetRelativePath(folder, p)).ToList(),
            ["clips"] = r.Clips.Select(c => Path.GetRelativePath(folder, c.Path)).ToList(),
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
        s.Append(Cell(Headline(r))).Append("\n\n");
        s.Append("| key | value | 95% interval | real | threshold | margin | result |\n|---|---|---|---|---|---|---|\n");
        foreach (var v in r.Verdicts)
            s.Append("| ").Append(Code(v.Threshold.Key)).Append(" | ").Append(F(v.Value)).Append(" | ").Append(Cell(Interval(v.Interval))).Append(" | ").Append(F(v.RealValue))
             .Append(" | ").Append(Cell(v.Threshold.Describe())).Append(" | ").Append(F(v.Margin)).Append(" | ")
             .Append(v.Passed ? Cell(v.StatusText) : "**" + Cell(v.StatusText) + "**").Append(v.Reason is { } why ? " (" + Cell(why) + ")" : "").Append(" |\n");
        s.Append("\nFeature space: ").Append(Cell(r.FeatureSpace ?? "not measured")).Append("; ").Append(Cell(SampleSizes(r))).Append(".\n");
        if (r.Explanations is { } ex)
            s.Append("\nRecommended explanation method: ").Append(Code(ex.Report.BestMethod)).Append(" (Explainability(G) ")
             .Append(F(ex.Report.Explainability)).Append(", target ").Append(Code(ex.Target)).Append(").\n");
        return s.ToString();
    }
}
