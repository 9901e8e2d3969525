using GenAudit.Core;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Stability;

/// <summary>Runs every stability measurement on a generator, batched, with seeded generators derived from <see cref="StabilityOptions.Seed"/>.</summary>
/// <param name="options">Settings; null means the defaults of <see cref="StabilityOptions"/>.</param>
public sealed class StabilityAuditor(StabilityOptions? options = null)
{
    /// <summary>The settings this auditor runs with.</summary>
    public StabilityOptions Options { get; } = options ?? new StabilityOptions();

    /// <summary>
    /// Audits <paramref name="model"/> (put it in evaluation mode first: pairs assume that samples in a
    /// batch do not influence each other). <paramref name="features"/> maps outputs to (B, F) features
    /// for cosine similarity and PPL (null: flattened outputs); <paramref name="classifier"/> maps outputs
    /// to (B, K) class scores for condition consistency; <paramref name="history"/> is a run's training log.
    /// <paramref name="steps"/> hears of each of the <see cref="Steps"/> finished measurements.
    /// </summary>
    public StabilityReport Run(
        IGenerativeModel model,
        Func<Tensor, Tensor>? features = null,
        Func<Tensor, Tensor>? classifier = null,
        IReadOnlyList<TrainingLogEntry>? history = null,
        IProgress<WorkProgress>? steps = null)
    {
        Options.Validate();
        var similarities = ResolveSimilarities(model);
        var o = Options;

        RepeatResult repeat;
        using (var g = Generator(1)) repeat = PairStability.Repeat(model, o.SampleCount, o.BatchSize, g);
        steps?.Report(new WorkProgress("repeat pairs", 1, Steps));
        IReadOnlyList<PairScore> local;
        using (var g = Generator(2)) local = PairStability.Local(model, o.Epsilons, similarities, o.SampleCount, o.BatchSize, g, features);
        steps?.Report(new WorkProgress("local pairs", 2, Steps));
        WorstCaseResult worstCase;
        using (var g = Generator(3)) worstCase = PairStability.WorstCaseSearch(model, o.Epsilons, similarities, o, g, features);
        steps?.Report(new WorkProgress("worst case", 3, Steps));
        ConditionConsistencyResult consistency;
        using (var g = Generator(4)) consistency = ConditionConsistency.Compute(model, classifier, o.ConditionSampleCount, o.BatchSize, g);
        steps?.Report(new WorkProgress("condition consistency", 4, Steps));
        PathLengthResult pathLength;
        using (var g = Generator(5))
            pathLength = PerceptualPathLength.Compute(model, o.PathLengthSampleCount, o.BatchSize, o.PathLengthEpsilon, o.PathLengthInterpolation, g, features);
        steps?.Report(new WorkProgress("path length", 5, Steps));
        LipschitzResult lipschitz;
        using (var g = Generator(6))
            lipschitz = LipschitzEstimate.Compute(model, o.LipschitzSampleCount, o.LipschitzWorstSampleCount, o.LipschitzEpsilon, o.LipschitzPowerIterations, o.BatchSize, g);
        steps?.Report(new WorkProgress("Lipschitz", 6, Steps));
        var determinism = Determinism.Compute(model, o.DeterminismSampleCount, o.BatchSize, o.Seed, o.CheckThreads);
        steps?.Report(new WorkProgress("determinism", 7, Steps));
        var flags = history is null ? null : TrainingDynamics.Analyse(history, o.Dynamics);

        return new StabilityReport(similarities, repeat, local, worstCase.Scores, consistency, pathLength, lipschitz, determinism, flags,
            new Dictionary<string, SeedStatistics>())
        {
            WorstCasePairs = worstCase.Pairs,
            History = history,
        };
    }

    /// <summary>Measurements <see cref="Run"/> reports: repeat, local and worst-case pairs, condition consistency, path length, Lipschitz, determinism.</summary>
    public const int Steps = 7;

    /// <summary>
    /// Seed variance over runs trained with different seeds: the statistics of every numeric key of
    /// their reports, attached to the first report's <see cref="StabilityReport.Seeds"/>.
    /// </summary>
    public static StabilityReport WithSeedVariance(IReadOnlyList<StabilityReport> runs)
    {
        if (runs.Count == 0) throw new ArgumentException("Seed variance needs at least one run's report.", nameof(runs));
        var statistics = SeedVariance.Across(runs.Select(r => r.ToFlatDictionary()).ToArray());
        return runs[0] with { Seeds = statistics };
    }

    IReadOnlyList<SimilarityKind> ResolveSimilarities(IGenerativeModel model)
    {
        var applicable = Similarity.ApplicableTo(model.OutputShape);
        if (!applicable.Contains(Options.WorstCaseSearchSimilarity))
            throw new ArgumentException(
                $"StabilityOptions.WorstCaseSearchSimilarity is {Similarity.Key(Options.WorstCaseSearchSimilarity)}, which does not apply to outputs of shape " +
                $"[{string.Join(", ", model.OutputShape)}]; use normalizedL2 or cosine.");
        if (Options.Similarities is null) return applicable;
        foreach (var kind in Options.Similarities.Where(k => !applicable.Contains(k)))
            throw new ArgumentException(
                $"StabilityOptions.Similarities asks for {Similarity.Key(kind)}, which needs [C, H, W] images of at least {Ssim.WindowSize}x{Ssim.WindowSize}; " +
                $"this model outputs [{string.Join(", ", model.OutputShape)}]. Leave Similarities null to use the applicable ones.");
        return Options.Similarities;
    }

    // One generator per measurement, so that adding or skipping one does not shift another's draws.
    Generator Generator(ulong salt) => new(unchecked((ulong)Options.Seed * 0x9E3779B97F4A7C15UL + salt));
}
