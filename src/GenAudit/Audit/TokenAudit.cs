using GenAudit.Data;
using GenAudit.Metrics;
using GenAudit.Models;
using GenAudit.Runs;
using GenAudit.Stability;

namespace GenAudit.Audit;

/// <summary>
/// The audit of a token run (<see cref="TokenSampler"/>): the quality stage is <see cref="TextQuality"/> (BLEU, self-BLEU,
/// distinct-n, NLL-test, NLL-oracle, verbatim copies, with the real row), the stability stage <see cref="TextStability"/>;
/// explanations and latent traversals are not measured for token runs, so their policy keys are not applicable with that
/// reason. The report shows generated sequences as escaped text instead of a sample grid.
/// </summary>
internal static class TokenAudit
{
    /// <summary>Generated sequences shown in the report.</summary>
    public const int ShownSamples = 20;

    /// <summary>Why explanation and latent keys have no value on a token run.</summary>
    public const string NoExplanations = "explanations and latent traversals of token runs are not part of the audit yet (issue #12); 'genaudit explain --prompt TEXT --target logprob:<text>' attributes a prompt's tokens or the state latent (docs/explain-methods.md#token-runs)";

    /// <summary>Runs the token stages through <paramref name="stage"/> (which times them and records failures) and judges <paramref name="policy"/>.</summary>
    public static AuditResult Run(AuditSubject subject, TokenSampler sampler, string runPath, Policy policy, AuditOptions settings, string folder,
        List<string> notes, Dictionary<string, string> failed, Dictionary<string, double> seconds,
        Func<string, Func<IProgress<string>, object>, object?> stage, IAuditObserver? observer)
    {
        var images = new Dictionary<string, IReadOnlyList<string>>();
        if (File.Exists(subject.Run.Directory.LossPlot))
        {
            var loss = Path.Combine(folder, "training-curves.png");
            File.Copy(subject.Run.Directory.LossPlot, loss, overwrite: true);
            images["training"] = [loss];
        }

        var quality = (TextQualityResult?)stage("quality", p =>
        {
            var train = subject.Train as TokenSequenceDataset ?? throw new InvalidDataException($"{runPath}: a token run whose data '{subject.Train.Name}' is not token sequences");
            var test = subject.Test as TokenSequenceDataset ?? throw new InvalidDataException($"{runPath}: a token run whose held-out data '{subject.Test.Name}' is not token sequences");
            return TextQuality.Evaluate(sampler, train, test, new TextQualityOptions { SampleCount = settings.QualitySamples, Seed = settings.Seed }, p);
        });
        var stability = (SortedDictionary<string, double>?)stage("stability", p =>
        {
            p.Report($"{settings.StabilitySamples} pairs per family");
            return TextStability.Run(sampler, settings.StabilityOptions);
        });
        foreach (var skipped in new[] { "explanations", "latents" })
        {
            observer?.StageStarted(skipped);
            seconds[skipped] = 0;
            observer?.StageFinished(skipped, TimeSpan.Zero);
        }
        notes.Add(NoExplanations + "; their policy keys are marked not applicable");
        notes.Add("the training dynamics (oscillation, gradient spikes, saturation) are analysed for points and images only");

        var values = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (quality is not null) foreach (var (key, value) in quality.Values) if (key != "seed") values[key] = value;
        if (stability is not null) foreach (var (key, value) in stability) values[key] = value;
        var real = quality is null ? null
            : new RealRow(quality.Real, quality.RealCandidateCount, quality.ReferenceCount, (int)subject.Train.Count, settings.Seed, "token sequences", FromCache: false);
        var noRealReason = quality is null ? "the quality stage failed" : null;
        var measurements = new Measurements
        {
            Values = values,
            Real = real?.Values ?? new Dictionary<string, double>(),
            NoRealRowReason = noRealReason,
            Missing = key => Missing(key, failed, stability),
        };

        var run = subject.Run;
        return new AuditResult
        {
            Card = new ModelCard(runPath, run.Manifest, run.Step, run.UsesEma, subject.DataWarning, Training.VersionRecord.Current()),
            Options = settings,
            Policy = policy,
            Values = values,
            Verdicts = policy.Evaluate(measurements),
            Stability = null,
            Explanations = null,
            Images = images,
            Notes = notes,
            StageSeconds = seconds,
            Real = real,
            NoRealRowReason = noRealReason,
            FeatureSpace = null,
            FailedStages = failed,
            SampleText = quality?.Samples.Take(ShownSamples).ToList(),
            QualityDescription = quality is null ? null
                : $"Token sequences compared as sequences (no feature space): n = {quality.Samples.Count} generated against {quality.ReferenceCount} held-out references. "
                  + $"The real column is {quality.RealCandidateCount} training sequences measured as if generated, against the same references (docs/metrics-text.md).",
        };
    }

    /// <summary>Why a policy key has no value on a token run: its stage failed, or token runs do not produce it (with the key they do produce).</summary>
    internal static (VerdictStatus Status, string Reason) Missing(string key, IReadOnlyDictionary<string, string> failed, IReadOnlyDictionary<string, double>? stability)
    {
        var stage = TextKeys.IsQuality(key) || QualityEvaluation.Keys.Contains(key) ? "quality" : KeyCoverage.StageOf(key);
        if (failed.TryGetValue(stage, out var error)) return (VerdictStatus.StageFailed, $"the {stage} stage failed: {error}");
        if (TextKeys.IsQuality(key))
            return key == "nll.oracle"
                ? (VerdictStatus.NotApplicable, "NLL-oracle needs data drawn from a known oracle (--data oracle)")
                : (VerdictStatus.NotMeasured, "this run can produce the key but the audit did not measure it");
        if (stage == "quality")
            return (VerdictStatus.NotApplicable, key.StartsWith("copies.", StringComparison.Ordinal)
                ? "token runs have no feature space; their copies are counted verbatim (copies.verbatim.train, copies.verbatim.test)"
                : "token runs have no feature space; their quality keys are bleu.*, selfBleu.*, distinct.*, nll.* and copies.verbatim.* (docs/metrics-text.md)");
        if (stage == "stability")
        {
            var parts = key.Split('.');
            if (parts[0] == "local" && parts.Length >= 3 && !TextStability.Similarities.Any(s => s.Key == parts[^1]))
                return (VerdictStatus.NotApplicable, $"similarity {parts[^1]} is not measured for token sequences (measured: {string.Join(", ", TextStability.Similarities.Select(s => s.Key))})");
            if (parts[0] is "worstCase" or "ppl" or "lipschitz" or "conditionConsistency" or "seeds")
                return (VerdictStatus.NotApplicable, $"{parts[0]} is measured for points and images; token runs report repeat, local.<ε>.edit|jaccard, independent.* and determinism.* (docs/metrics-text.md#text-stability)");
            return stability is null || parts[0] == "local"
                ? (VerdictStatus.NotMeasured, "this run can produce the key but the audit did not measure it")
                : (VerdictStatus.NotApplicable, "not reported for token runs (docs/metrics-text.md#text-stability)");
        }
        return (VerdictStatus.NotApplicable, NoExplanations);
    }
}

/// <summary>The quality keys of token runs (<see cref="TextQuality"/>), by prefix.</summary>
internal static class TextKeys
{
    static readonly string[] QualityPrefixes = ["bleu.", "selfBleu.", "distinct.", "nll.", "copies.verbatim."];

    /// <summary>True for a key of <see cref="TextQuality"/>.</summary>
    public static bool IsQuality(string key) => QualityPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));
}
