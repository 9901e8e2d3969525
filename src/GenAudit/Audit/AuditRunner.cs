using System.Diagnostics;
using GenAudit.Application;
using GenAudit.Rendering;
using GenAudit.Runs;
using GenAudit.Stability;
using GenAudit.Training;

namespace GenAudit.Audit;

/// <summary>Receives the audit's progress: a stage starts, says something, finishes.</summary>
public interface IAuditObserver
{
    /// <summary>Stage <paramref name="stage"/> (one of <see cref="AuditRunner.Stages"/>) started.</summary>
    void StageStarted(string stage);

    /// <summary>A progress line from the running stage.</summary>
    void Report(string stage, string message);

    /// <summary>Stage <paramref name="stage"/> finished after <paramref name="elapsed"/>.</summary>
    void StageFinished(string stage, TimeSpan elapsed);
}

/// <summary>What the report's model card shows, copied from the run so the subject can be disposed.</summary>
/// <param name="RunPath">The run directory as given.</param>
/// <param name="Manifest">The run's manifest.</param>
/// <param name="Step">Step of the audited checkpoint.</param>
/// <param name="UsesEma">True when the EMA generator was audited.</param>
/// <param name="DataWarning">Set when the data found differs from the data recorded.</param>
/// <param name="AuditVersions">Versions of the auditing process.</param>
public sealed record ModelCard(string RunPath, RunManifest Manifest, long Step, bool UsesEma, string? DataWarning, VersionRecord AuditVersions);

/// <summary>Everything one audit produced; written out by <see cref="AuditReport"/>.</summary>
public sealed record AuditResult
{
    /// <summary>The run's identity, configuration and versions.</summary>
    public required ModelCard Card { get; init; }
    /// <summary>The settings used.</summary>
    public required AuditOptions Options { get; init; }
    /// <summary>The policy judged against.</summary>
    public required Policy Policy { get; init; }
    /// <summary>Every finite or NaN numeric key reported by the stages, sorted.</summary>
    public required IReadOnlyDictionary<string, double> Values { get; init; }
    /// <summary>One verdict per threshold, in policy order.</summary>
    public required IReadOnlyList<Verdict> Verdicts { get; init; }
    /// <summary>The stability report (dynamics flags included).</summary>
    public required StabilityReport Stability { get; init; }
    /// <summary>The explanation comparison.</summary>
    public required ExplanationStage Explanations { get; init; }
    /// <summary>PNG files by role: "samples", "training", "stability", "attributions", "traversals".</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Images { get; init; }
    /// <summary>Caveats collected from the stages.</summary>
    public required IReadOnlyList<string> Notes { get; init; }
    /// <summary>Seconds per stage.</summary>
    public required IReadOnlyDictionary<string, double> StageSeconds { get; init; }
    /// <summary>True when no threshold failed (not-applicable thresholds pass).</summary>
    public bool Passed => Verdicts.All(v => v.Passed);
}

/// <summary>
/// The one-command audit: quality → stability → explanations → latent traversals on an opened run,
/// then the policy's verdicts. PNGs go to the output folder; <see cref="AuditReport.Write"/> writes the rest.
/// </summary>
public sealed class AuditRunner(AuditOptions options)
{
    /// <summary>Stage names in order.</summary>
    public static IReadOnlyList<string> Stages { get; } = ["quality", "stability", "explanations", "latents"];

    /// <summary>Audits <paramref name="subject"/> against <paramref name="policy"/>, writing PNGs into <paramref name="folder"/>.</summary>
    public AuditResult Run(AuditSubject subject, string runPath, Policy policy, string folder, IAuditObserver? observer = null)
    {
        options.Validate();
        Directory.CreateDirectory(folder);
        var seconds = new Dictionary<string, double>();
        var notes = new List<string>();
        if (subject.DataWarning is { } warning) notes.Add(warning);
        if (subject.Run.Manifest.Source != "calibration" && CalibrationReport.Find(subject.Train.Fingerprint) is { } calibration) notes.Add(calibration.Describe());
        T Stage<T>(string name, Func<IProgress<string>, T> body)
        {
            observer?.StageStarted(name);
            var watch = Stopwatch.StartNew();
            var result = body(new Progress(observer, name));
            seconds[name] = watch.Elapsed.TotalSeconds;
            observer?.StageFinished(name, watch.Elapsed);
            return result;
        }

        var images = new Dictionary<string, IReadOnlyList<string>>();
        var samples = Path.Combine(folder, "samples.png");
        var view = SampleRenderer.For(subject.Generator);
        using (var data = view.ShowsRealData ? TensorTrainingData.FromDataset(subject.Train) : null)
            view.Render(subject.Generator, samples, view.PreviewCount, options.Seed, data);
        images["samples"] = [samples];
        if (File.Exists(subject.Run.Directory.LossPlot))
        {
            var loss = Path.Combine(folder, "training-curves.png");
            File.Copy(subject.Run.Directory.LossPlot, loss, overwrite: true);
            images["training"] = [loss];
        }
        else notes.Add("the run has no loss.png (an imported model): no training curves");

        var quality = Stage("quality", p => AuditStages.Quality(subject, options, p));
        var (stability, stabilityCharts) = Stage("stability", p => AuditStages.Stability(subject, options, folder, p));
        images["stability"] = stabilityCharts;
        var explanations = Stage("explanations", p => AuditStages.Explanations(subject, options, folder, p));
        images["attributions"] = explanations.Charts;
        notes.AddRange(explanations.Notes);
        var (traversal, traversalNote) = Stage("latents", _ => AuditStages.Latents(subject, options, folder));
        if (traversal is not null) images["traversals"] = [traversal];
        notes.Add(traversalNote);

        var values = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, value) in quality) if (value is { } v) values[key] = v;
        foreach (var (key, value) in stability.ToFlatDictionary())
            if (value is double d) values[key] = d;
        foreach (var (key, value) in explanations.Report.ToDictionary())
            if (key is not ("n" or "seed")) values[key] = value;

        var run = subject.Run;
        return new AuditResult
        {
            Card = new ModelCard(runPath, run.Manifest, run.Step, run.UsesEma, subject.DataWarning, VersionRecord.Current()),
            Options = options,
            Policy = policy,
            Values = values,
            Verdicts = policy.Evaluate(values),
            Stability = stability,
            Explanations = explanations,
            Images = images,
            Notes = notes,
            StageSeconds = seconds,
        };
    }

    sealed class Progress(IAuditObserver? observer, string stage) : IProgress<string>
    {
        public void Report(string value) => observer?.Report(stage, value);
    }
}
