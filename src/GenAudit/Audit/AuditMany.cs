using System.Globalization;
using System.Net;
using System.Text;
using GenAudit.Application;
using GenAudit.Core;
using GenAudit.Runs;
using GenAudit.Training;

namespace GenAudit.Audit;

/// <summary>The settings every model of an audit-many shares: the policy, the audit's settings and the libtorch threads of each worker.</summary>
/// <param name="PolicyJson">The policy's text; null for the shipped policy.</param>
/// <param name="PolicySource">Where the policy came from ("default" or its path), shown in the table.</param>
/// <param name="Seed">Seed of every stage.</param>
/// <param name="Quick">The audit's quick settings.</param>
/// <param name="Count">Generated samples for quality; null for the audit's default.</param>
/// <param name="Strict">Uncertain verdicts fail.</param>
/// <param name="Threads">libtorch threads per worker: fixed, so that results do not depend on how many workers run.</param>
public sealed record AuditManySettings(string? PolicyJson, string PolicySource, long Seed, bool Quick, int? Count, bool Strict, int Threads)
{
    /// <summary>The policy judged against.</summary>
    public Policy Policy() => PolicyJson is { } json ? Audit.Policy.Parse(json, PolicySource) : Audit.Policy.Default;

    /// <summary>The audit's options, as <c>genaudit audit</c> builds them from the same flags.</summary>
    public AuditOptions Options() => AuditOptions.For(Quick, Seed, Count, Strict);
}

/// <summary>One model of an audit-many: its name (its folder under the output), its run and checkpoint step (null: the newest), and the shared settings.</summary>
public sealed record AuditManyItem(string Name, string Run, long? Step, AuditManySettings Settings);

/// <summary>One verdict as the table keeps it: the key, the summary.json status, whether the interval straddles the bound, and the value.</summary>
public sealed record AuditManyVerdict(string Key, string Status, bool Uncertain, double? Value);

/// <summary>What one model's audit produced for the table; no timings, so the table depends only on the models and the settings.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Run">Full path of its run.</param>
/// <param name="Step">Audited checkpoint step; null when the worker failed before opening the run.</param>
/// <param name="ExitCode">The single audit's exit code: 0 pass, 1 a threshold failed, 2 a key was not measured, 3 a measurement failed.</param>
/// <param name="FailedKeys">Policy keys that did not pass (failed, not measured, stage failed, or uncertain under --strict), in policy order.</param>
/// <param name="Fid">The model's FID; null when not measured.</param>
/// <param name="RealFid">The real row's FID (held-out against training data); null without a real row.</param>
/// <param name="Verdicts">Every verdict, in policy order.</param>
/// <param name="Failure">Why a measurement failed (stages that threw, or the worker); null otherwise.</param>
/// <param name="Reported">False when the worker ended before writing the model's report.html.</param>
public sealed record AuditManyResult(string Name, string Run, long? Step, int ExitCode, IReadOnlyList<string> FailedKeys, double? Fid, double? RealFid,
    IReadOnlyList<AuditManyVerdict> Verdicts, string? Failure, bool Reported = true)
{
    /// <summary>The ranking's second key: FID over the real row's FID; null when either is missing or the real FID is not positive.</summary>
    public double? FidRatio => Fid is { } f && RealFid is { } r && double.IsFinite(f) && double.IsFinite(r) && r > 0 ? f / r : null;

    /// <summary>True when the model passes the policy.</summary>
    public bool Passed => ExitCode == 0;

    /// <summary>The result of a model whose worker ended without one: a measurement failure in which every policy key counts as failed.</summary>
    public static AuditManyResult WorkerFailed(AuditManyItem item, string reason) =>
        new(item.Name, item.Run, item.Step, 3, item.Settings.Policy().Thresholds.Select(t => t.Key).ToList(), null, null, [], reason, Reported: false);
}

/// <summary>
/// Audits one model of an audit-many in this process, at the item's thread count, into its folder:
/// the audit's report (report.html, summary.json, summary.md, PNGs), then result.json, written
/// atomically last so that its presence means the audit finished.
/// </summary>
public static class AuditManyItemRunner
{
    /// <summary>Name of a model's description inside its folder.</summary>
    public const string ItemFile = "item.json";

    /// <summary>Name of a model's result inside its folder.</summary>
    public const string ResultFile = "result.json";

    /// <summary>Runs the audit of <paramref name="item"/> into <paramref name="folder"/> and returns its result (also written as result.json).</summary>
    public static AuditManyResult Run(AuditManyItem item, string folder, IAuditObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        Directory.CreateDirectory(folder);
        TorchRuntime.EnsureLoaded();
        using var threads = TorchThreads.Use(item.Settings.Threads);
        var policy = item.Settings.Policy();
        var options = item.Settings.Options();
        options.Validate();
        File.Delete(Path.Combine(folder, ResultFile));
        AuditResult audit;
        using (var subject = AuditSubject.Open(item.Run, step: item.Step))
            audit = new AuditRunner(options).Run(subject, item.Run, policy, folder, observer);
        AuditReport.Write(audit, folder);
        var result = new AuditManyResult(item.Name, item.Run, audit.Card.Step, audit.ExitCode,
            audit.Verdicts.Where(v => !v.PassedUnder(options.Strict)).Select(v => v.Threshold.Key).ToList(),
            audit.Values.TryGetValue(AuditManyTable.RankKey, out var fid) && double.IsFinite(fid) ? fid : null,
            audit.Real is { } real && real.Values.TryGetValue(AuditManyTable.RankKey, out var realFid) && double.IsFinite(realFid) ? realFid : null,
            audit.Verdicts.Select(v => new AuditManyVerdict(v.Threshold.Key, AuditReport.JsonStatus(v.Status), v.Uncertain, v.Value is { } x && double.IsFinite(x) ? x : null)).ToList(),
            audit.FailedStages.Count > 0 ? string.Join("; ", audit.FailedStages.Select(kv => $"stage {kv.Key}: {kv.Value}")) : null);
        Json.WriteFile(Path.Combine(folder, ResultFile), result);
        return result;
    }

    /// <summary>The result in <paramref name="folder"/>, or null when it has none.</summary>
    public static AuditManyResult? Result(string folder)
    {
        var path = Path.Combine(folder, ResultFile);
        return File.Exists(path) ? Json.ReadFile<AuditManyResult>(path) : null;
    }
}

/// <summary>How an audit-many ended: the fan-out's exit code and the table's files.</summary>
/// <param name="ExitCode">The highest exit code of the models: 0 all pass, 1 one fails, 2 a key was not measured, 3 a measurement failed.</param>
/// <param name="Results">The models' results, ranked.</param>
/// <param name="Markdown">Path of audits.md.</param>
/// <param name="Json">Path of audits.json.</param>
/// <param name="Html">Path of index.html.</param>
public sealed record AuditManyOutcome(int ExitCode, IReadOnlyList<AuditManyResult> Results, string Markdown, string Json, string Html);

/// <summary>
/// Audits many models, each into &lt;out&gt;/&lt;name&gt;/ at the settings' thread count, and writes the ranked
/// table. Where the audits run is the executor's business: worker processes on this machine
/// (<see cref="WorkerPool"/>, one model per process) or the silos of a cluster.
/// </summary>
/// <param name="executor">Runs the prepared model folders.</param>
public sealed class AuditManyRunner(IJobExecutor executor)
{
    /// <summary>Audits on this machine in at most <paramref name="workers"/> worker processes started by <paramref name="worker"/>.</summary>
    public AuditManyRunner(int workers, Func<string, System.Diagnostics.ProcessStartInfo> worker) : this(new WorkerPool(workers, worker)) { }

    /// <summary>Audits every item into <paramref name="outFolder"/>; a model whose worker fails is a measurement failure in the table, not an exception.</summary>
    public AuditManyOutcome Run(IReadOnlyList<AuditManyItem> items, string outFolder, IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        if (items.Count == 0) throw new ArgumentException("no model to audit");
        var duplicate = items.GroupBy(i => i.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"two models are named '{duplicate.Key}'; each needs its own folder under the output");
        var root = Path.GetFullPath(outFolder);
        string FolderOf(string name) => Path.Combine(root, name);
        foreach (var item in items)
        {
            Directory.CreateDirectory(FolderOf(item.Name));
            // A previous audit's files must not pass for this one's when its worker fails.
            foreach (var stale in new[] { AuditManyItemRunner.ResultFile, "report.html", "summary.json", "summary.md" })
                File.Delete(Path.Combine(FolderOf(item.Name), stale));
            Json.WriteFile(Path.Combine(FolderOf(item.Name), AuditManyItemRunner.ItemFile), item);
        }
        var jobs = items.Select(i => new WorkerJob(i.Name, FolderOf(i.Name), i.Step is { } s ? $"{i.Run}, step {s}" : i.Run)).ToList();
        var failures = executor.Run(jobs, job => AuditManyItemRunner.Result(job.Folder) is not null, progress, cancel: cancel);
        foreach (var failure in failures) progress?.Report("measurement failed: " + failure);
        var results = items.Select(i => AuditManyItemRunner.Result(FolderOf(i.Name))
            ?? AuditManyResult.WorkerFailed(i, failures.FirstOrDefault(f => f.StartsWith(i.Name + " (", StringComparison.Ordinal))
                ?? "the worker ended without a result")).ToList();
        var settings = items[0].Settings;
        var ranked = AuditManyTable.Rank(results);
        var (markdown, json, html) = AuditManyTable.Write(settings, ranked, root);
        return new AuditManyOutcome(ranked.Max(r => r.ExitCode), ranked, markdown, json, html);
    }

    /// <summary>
    /// Names for runs: the last folder name of each, or as many trailing folder names (joined by '-') as make
    /// every name distinct, e.g. items/3f2a/run and items/9c1d/run become 3f2a-run and 9c1d-run.
    /// </summary>
    public static IReadOnlyList<string> NamesOf(IReadOnlyList<string> runs)
    {
        var parts = runs.Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r))
            .Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries)).ToList();
        var duplicate = parts.Select(p => string.Join('/', p)).GroupBy(p => p).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"--runs names /{duplicate.Key} twice");
        for (var depth = 1; ; depth++)
        {
            var names = parts.Select(p => string.Join('-', p.TakeLast(depth))).ToList();
            if (names.Distinct().Count() == names.Count || parts.All(p => p.Length <= depth)) return names;
        }
    }

    /// <summary>One item per complete checkpoint of <paramref name="run"/>, oldest first, named step-NNNNNNNN.</summary>
    public static IReadOnlyList<AuditManyItem> Checkpoints(string run, AuditManySettings settings)
    {
        var directory = new RunDirectory(run);
        var steps = Checkpoint.Steps(directory);
        if (steps.Count == 0) throw new ArgumentException($"{directory.Root}: the run has no checkpoint to audit (no {Path.Combine("checkpoints", "step-*")} folder with a state.json)");
        return steps.Select(s => new AuditManyItem(RunDirectory.CheckpointName(s), directory.Root, s, settings)).ToList();
    }
}

/// <summary>
/// The ranked table of an audit-many (docs/audit.md#audit-many): audits.md, audits.json and index.html.
/// Ranking: fewest failed policy keys first; then the lowest FID ratio to the real row (models without
/// one after those with one); then the name, ordinal. It depends only on the results, never on timings
/// or the number of workers, so any --workers gives the same bytes.
/// </summary>
public static class AuditManyTable
{
    /// <summary>The value the ranking compares after the failed-key count, as its ratio to the real row.</summary>
    public const string RankKey = "fid";

    /// <summary>File names of the table inside the output folder.</summary>
    public const string MarkdownFile = "audits.md", JsonFile = "audits.json", HtmlFile = "index.html";

    /// <summary>Schema identifier of audits.json.</summary>
    public const string Schema = "genaudit.audit-many/1";

    /// <summary>The ranking in one sentence, for the table, the help and the docs.</summary>
    public const string Ranking = "fewest failed policy keys first, then lowest FID ratio to the real row (models without one last), then name";

    /// <summary>The results in ranking order.</summary>
    public static IReadOnlyList<AuditManyResult> Rank(IEnumerable<AuditManyResult> results) =>
        results.OrderBy(r => r.FailedKeys.Count)
            .ThenBy(r => r.FidRatio is null ? 1 : 0)
            .ThenBy(r => r.FidRatio ?? 0)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>Writes audits.md, audits.json and index.html into <paramref name="folder"/>, each atomically.</summary>
    public static (string Markdown, string Json, string Html) Write(AuditManySettings settings, IReadOnlyList<AuditManyResult> ranked, string folder)
    {
        Directory.CreateDirectory(folder);
        var markdown = Markdown(settings, ranked);
        var paths = (Path.Combine(folder, MarkdownFile), Path.Combine(folder, JsonFile), Path.Combine(folder, HtmlFile));
        AtomicFile.WriteAllText(paths.Item1, markdown);
        Json.WriteFile(paths.Item2, Document(settings, ranked));
        AtomicFile.WriteAllText(paths.Item3, Html(settings, ranked, markdown));
        return paths;
    }

    /// <summary>The model's report, relative to the output folder, as a URL path (the name percent-encoded); null when the worker wrote none.</summary>
    public static string? ReportLink(AuditManyResult result) => result.Reported ? Uri.EscapeDataString(result.Name) + "/report.html" : null;

    /// <summary>"PASS", "FAIL", "NOT MEASURED" or "MEASUREMENT FAILED", from the single audit's exit code.</summary>
    public static string VerdictText(int exitCode) => exitCode switch
    {
        0 => "PASS",
        1 => "FAIL",
        2 => "NOT MEASURED",
        _ => "MEASUREMENT FAILED",
    };

    /// <summary>audits.md: a sentence on the settings and the ranking, then one row per model.</summary>
    public static string Markdown(AuditManySettings settings, IReadOnlyList<AuditManyResult> ranked)
    {
        static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ").Replace("<", "&lt;").Replace(">", "&gt;");
        // Inside a code span '<' is literal text; only the bar would end the cell.
        static string Code(string text) => AuditReport.CodeSpan(text.Replace("|", "\\|").Replace("\n", " "));
        var passed = ranked.Count(r => r.Passed);
        var s = new StringBuilder()
            .Append($"Audit of {ranked.Count} models against policy {Code(settings.PolicySource)}: {passed} pass, {ranked.Count - passed} do not. ")
            .Append($"Seed {settings.Seed}{(settings.Quick ? ", quick" : "")}{(settings.Count is { } n ? $", {n} samples" : "")}{(settings.Strict ? ", strict" : "")}, {settings.Threads} thread(s) per model. ")
            .Append($"Ranked by {Ranking}.\n\n")
            .Append("| rank | model | step | verdict | failed keys | FID | real FID | FID ratio | report |\n")
            .Append("|---|---|---|---|---|---|---|---|---|\n");
        for (var i = 0; i < ranked.Count; i++)
        {
            var r = ranked[i];
            var verdict = VerdictText(r.ExitCode);
            s.Append($"| {i + 1} | {Code(r.Name)} | {(r.Step is { } step ? step.ToString(CultureInfo.InvariantCulture) : "—")} | {(r.Passed ? verdict : "**" + verdict + "**")} | ")
             .Append(r.FailedKeys.Count == 0 ? "—" : Cell(string.Join(", ", r.FailedKeys)))
             .Append($" | {Number(r.Fid)} | {Number(r.RealFid)} | {Number(r.FidRatio)} | {(ReportLink(r) is { } link ? $"[report]({link})" : "—")} |\n");
        }
        var failures = ranked.Where(r => r.Failure is not null).ToList();
        if (failures.Count > 0) s.Append('\n');
        foreach (var r in failures) s.Append($"- {Code(r.Name)}: measurement failed: {Cell(r.Failure!)}\n");
        return s.ToString();
    }

    /// <summary>audits.json (schema <see cref="Schema"/>, docs/audit.md#audit-many).</summary>
    public static SortedDictionary<string, object?> Document(AuditManySettings settings, IReadOnlyList<AuditManyResult> ranked) => new(StringComparer.Ordinal)
    {
        ["schema"] = Schema,
        ["policy"] = settings.PolicySource,
        ["seed"] = settings.Seed,
        ["quick"] = settings.Quick,
        ["count"] = settings.Count,
        ["strict"] = settings.Strict,
        ["threads"] = settings.Threads,
        ["ranking"] = Ranking,
        ["exitCode"] = ranked.Max(r => r.ExitCode),
        ["models"] = ranked.Select((r, i) => new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["rank"] = i + 1,
            ["name"] = r.Name,
            ["run"] = r.Run,
            ["step"] = r.Step,
            ["passed"] = r.Passed,
            ["exitCode"] = r.ExitCode,
            ["verdict"] = VerdictText(r.ExitCode),
            ["failedKeys"] = r.FailedKeys,
            ["fid"] = r.Fid,
            ["realFid"] = r.RealFid,
            ["fidRatio"] = r.FidRatio,
            ["report"] = ReportLink(r),
            ["verdicts"] = r.Verdicts,
            ["failure"] = r.Failure,
        }).ToList(),
    };

    /// <summary>index.html: the Markdown table as one self-contained page whose only links are the models' own reports.</summary>
    public static string Html(AuditManySettings settings, IReadOnlyList<AuditManyResult> ranked, string markdown)
    {
        var reports = ranked.Select(ReportLink).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var body = MarkdownHtml.Render(markdown.Split('\n'), 0, target => reports.Contains(target) ? target : null);
        var passed = ranked.Count(r => r.Passed);
        return new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>GenAudit: ")
            .Append(ranked.Count).Append(" models</title>\n<style>").Append(AuditReport.Style).Append("</style></head>\n<body>\n<h1>GenAudit: ")
            .Append(ranked.Count).Append(" models</h1>\n<p class=\"banner ").Append(passed == ranked.Count ? "pass\">" : "fail\">")
            .Append(passed).Append(" of ").Append(ranked.Count).Append(" pass policy ").Append(WebUtility.HtmlEncode(settings.PolicySource)).Append("</p>\n")
            .Append(body).Append("</body></html>\n").ToString();
    }

    static string Number(double? value) => value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "—";
}
