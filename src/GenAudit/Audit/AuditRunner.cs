using System.Diagnostics;
using GenAudit.Application;
using GenAudit.Metrics;
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
    /// <summary>The settings used (after <see cref="AuditOptions.Cover"/> added what the policy names).</summary>
    public required AuditOptions Options { get; init; }
    /// <summary>The policy judged against.</summary>
    public required Policy Policy { get; init; }
    /// <summary>Every finite or NaN numeric key reported by the stages, sorted.</summary>
    public required IReadOnlyDictionary<string, double> Values { get; init; }
    /// <summary>One verdict per threshold, in policy order.</summary>
    public required IReadOnlyList<Verdict> Verdicts { get; init; }
    /// <summary>The stability report (dynamics flags included); null when the stability stage failed.</summary>
    public required StabilityReport? Stability { get; init; }
    /// <summary>The explanation comparison; null when the explanation stage failed.</summary>
    public required ExplanationStage? Explanations { get; init; }
    /// <summary>PNG files by role: "samples", "training", "stability", "attributions", "traversals".</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Images { get; init; }
    /// <summary>Sound files of generated and real samples (audio runs, <see cref="ISampleView.Clips"/>), embedded in the report as players; empty for other kinds.</summary>
    public IReadOnlyList<SampleClip> Clips { get; init; } = [];
    /// <summary>Caveats collected from the stages.</summary>
    public required IReadOnlyList<string> Notes { get; init; }
    /// <summary>Seconds per stage.</summary>
    public required IReadOnlyDictionary<string, double> StageSeconds { get; init; }
    /// <summary>Held-out real data measured like the generator (docs/audit.md#real-row); null without a held-out split or when the quality stage failed.</summary>
    public RealRow? Real { get; init; }
    /// <summary>Why there is no real row; null when there is one.</summary>
    public string? NoRealRowReason { get; init; }
    /// <summary>Bootstrap 95% intervals by key (docs/audit.md#intervals).</summary>
    public IReadOnlyDictionary<string, ConfidenceInterval> Intervals { get; init; } = new Dictionary<string, ConfidenceInterval>();
    /// <summary>The space of the feature-based keys, e.g. "feature classifier (penultimate layer, D = 128, …)"; null when the quality stage failed.</summary>
    public string? FeatureSpace { get; init; }
    /// <summary>The feature extractor's identity (<see cref="Runs.IFeatureExtractor.Identity"/>).</summary>
    public string? FeatureSpaceIdentity { get; init; }
    /// <summary>Stages that threw, with the reason; their keys are marked "stage failed".</summary>
    public IReadOnlyDictionary<string, string> FailedStages { get; init; } = new Dictionary<string, string>();

    /// <summary>What the quality stage measured in, replacing the feature-space sentence of the report (token runs); null for points and images.</summary>
    public string? QualityDescription { get; init; }

    /// <summary>Generated samples as text (token runs), shown HTML-escaped in the report; null for points and images.</summary>
    public IReadOnlyList<string>? SampleText { get; init; }

    /// <summary>True when no threshold failed (not-applicable thresholds pass; uncertain ones pass unless <see cref="AuditOptions.Strict"/>), every key was measured and no stage failed.</summary>
    public bool Passed => ExitCode == 0;

    /// <summary>
    /// 0 pass; 1 a threshold failed (or, with --strict, was uncertain); 2 a policy key the run could produce
    /// was not measured; 3 a measurement failed (a stage threw). The highest applicable code wins.
    /// </summary>
    public int ExitCode =>
        FailedStages.Count > 0 ? 3
        : Verdicts.Any(v => v.Status == VerdictStatus.NotMeasured) ? 2
        : Verdicts.All(v => v.PassedUnder(Options.Strict)) ? 0 : 1;
}

/// <summary>
/// The one-command audit: quality → stability → explanations → latent traversals on an opened run,
/// then the policy's verdicts. PNGs go to the output folder; <see cref="AuditReport.Write"/> writes the rest.
/// A stage that throws is recorded as failed (its keys get the verdict "stage failed") and the others still run.
/// </summary>
public sealed class AuditRunner(AuditOptions options)
{
    /// <summary>Stage names in order.</summary>
    public static IReadOnlyList<string> Stages { get; } = ["quality", "stability", "explanations", "latents"];

    /// <summary>Audits <paramref name="subject"/> against <paramref name="policy"/>, writing PNGs into <paramref name="folder"/>.</summary>
    public AuditResult Run(AuditSubject subject, string runPath, Policy policy, string folder, IAuditObserver? observer = null)
    {
        var (settings, coverNotes) = options.Cover(policy);
        settings.Validate();
        Directory.CreateDirectory(folder);
        var seconds = new Dictionary<string, double>();
        var notes = new List<string>(coverNotes);
        var failed = new Dictionary<string, string>();
        if (subject.DataWarning is { } warning) notes.Add(warning);
        if (subject.Run.Manifest.Source != "calibration" && CalibrationReport.Find(subject.Train.Fingerprint) is { } calibration) notes.Add(calibration.Describe());
        T? Stage<T>(string name, Func<IProgress<string>, T> body) where T : class
        {
            observer?.StageStarted(name);
            var watch = Stopwatch.StartNew();
            T? result = null;
            try { result = body(new Progress(observer, name)); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed[name] = $"{e.GetType().Name}: {e.Message}";
                notes.Add($"the {name} stage failed ({e.GetType().Name}: {e.Message}); its keys are marked \"stage failed\"");
            }
            seconds[name] = watch.Elapsed.TotalSeconds;
            observer?.StageFinished(name, watch.Elapsed);
            return result;
        }

        if (subject.Generator is GenAudit.Models.TokenSampler sampler)
        {
            using var drawn = sampler.With(settings.Sampling ?? GenAudit.Models.TokenSampling.Default);
            if (settings.Sampling is { } sampling) notes.Add($"token sequences are drawn with {sampling}, not the model's own distribution");
            return TokenAudit.Run(subject, drawn, runPath, policy, settings, folder, notes, failed, seconds, (name, body) => Stage(name, body), observer);
        }
        if (settings.Sampling is not null) throw new ArgumentException("--temperature and --top-k apply to token runs (mle, seqgan)");

        var images = new Dictionary<string, IReadOnlyList<string>>();
        var samples = Path.Combine(folder, "samples.png");
        var view = SampleRenderer.For(subject.Output);
        IReadOnlyList<SampleClip> clips;
        using (var data = view.ShowsRealData ? TensorTrainingData.FromDataset(subject.Train) : null)
        {
            view.Render(subject.Generator, samples, view.PreviewCount, settings.Seed, data);
            clips = view.Clips(subject.Generator, Path.Combine(folder, "clips"), settings.Seed, data);
        }
        images["samples"] = [samples];
        if (File.Exists(subject.Run.Directory.LossPlot))
        {
            var loss = Path.Combine(folder, "training-curves.png");
            File.Copy(subject.Run.Directory.LossPlot, loss, overwrite: true);
            images["training"] = [loss];
        }
        else notes.Add("the run has no loss.png (an imported model): no training curves");

        var quality = Stage("quality", p => AuditStages.Quality(subject, settings, p));
        var stability = Stage("stability", p => AuditStages.Stability(subject, settings, folder, p).ToTuple());
        if (stability is not null) images["stability"] = stability.Item2;
        var explanations = Stage("explanations", p => AuditStages.Explanations(subject, settings, folder, p));
        if (explanations is not null)
        {
            images["attributions"] = explanations.Charts;
            notes.AddRange(explanations.Notes);
        }
        var traversal = Stage("latents", _ => AuditStages.Latents(subject, settings, folder).ToTuple());
        if (traversal is not null)
        {
            if (traversal.Item1 is { } png) images["traversals"] = [png];
            notes.Add(traversal.Item2);
        }

        var values = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var intervals = new Dictionary<string, ConfidenceInterval>();
        if (quality is not null)
        {
            foreach (var (key, value) in quality.Evaluation.ToFlatDictionary()) if (value is { } v) values[key] = v;
            foreach (var (key, interval) in quality.Evaluation.Intervals) intervals[key] = interval;
        }
        if (stability?.Item1 is { } report)
        {
            foreach (var (key, value) in report.ToFlatDictionary())
                if (value is double d) values[key] = d;
            foreach (var (key, interval) in StabilityIntervals(report, settings.Seed)) intervals[key] = interval;
        }
        if (explanations is not null)
            foreach (var (key, value) in explanations.Report.ToDictionary())
                if (key is not ("n" or "seed")) values[key] = value;

        var real = quality?.Real;
        var noRealReason = quality is null ? "the quality stage failed" : quality.NoRealRowReason;
        var measurements = new Measurements
        {
            Values = values,
            Real = real?.Values ?? new Dictionary<string, double>(),
            NoRealRowReason = noRealReason,
            Intervals = intervals,
            Missing = key => KeyCoverage.Missing(key, subject, failed, quality?.Evaluation, stability?.Item1, explanations),
        };

        var run = subject.Run;
        return new AuditResult
        {
            Card = new ModelCard(runPath, run.Manifest, run.Step, run.UsesEma, subject.DataWarning, VersionRecord.Current()),
            Options = settings,
            Policy = policy,
            Values = values,
            Verdicts = policy.Evaluate(measurements),
            Stability = stability?.Item1,
            Explanations = explanations,
            Images = images,
            Clips = clips,
            Notes = notes,
            StageSeconds = seconds,
            Real = real,
            NoRealRowReason = noRealReason,
            Intervals = intervals,
            FeatureSpace = quality?.Evaluation.ExtractorName,
            FeatureSpaceIdentity = quality?.Evaluation.ExtractorIdentity,
            FailedStages = failed,
        };
    }

    /// <summary>
    /// Intervals of the local and worst-case scores: the unit is a pair (one latent input and its perturbation),
    /// resampled with replacement. Repeat and determinism are exact equality checks and get none.
    /// </summary>
    internal static Dictionary<string, ConfidenceInterval> StabilityIntervals(StabilityReport report, long seed)
    {
        var result = new Dictionary<string, ConfidenceInterval>();
        foreach (var (prefix, scores) in new[] { ("local", report.Local), ("worstCase", report.WorstCase) })
            foreach (var score in scores)
            {
                if (score.Values.Count == 0) continue;
                var key = $"{prefix}.{StabilityReport.FormatEpsilon(score.Epsilon)}.{Similarity.Key(score.Similarity)}";
                if (Bootstrap.OfMean(score.Values, "pairs (latent inputs and their perturbations)", unchecked((ulong)seed) ^ 0x57AB1E) is { } interval)
                    result[key] = interval;
            }
        return result;
    }

    sealed class Progress(IAuditObserver? observer, string stage) : IProgress<string>
    {
        public void Report(string value) => observer?.Report(stage, value);
    }
}
