using System.Globalization;

namespace GenAudit.Stability;

/// <summary>Everything a stability audit measured; <see cref="ToFlatDictionary"/> gives the JSON keys of issue 4.</summary>
/// <param name="Similarities">Similarities measured (SSIM only for images).</param>
/// <param name="Repeat">Repeat pairs.</param>
/// <param name="Local">Local pairs for every ε and similarity.</param>
/// <param name="WorstCase">Worst-case pairs for every ε and similarity.</param>
/// <param name="ConditionConsistency">Condition pairs (null value with a reason when not measurable).</param>
/// <param name="PathLength">Perceptual path length.</param>
/// <param name="Lipschitz">Local Lipschitz estimates.</param>
/// <param name="Determinism">Same seed twice, one thread against all.</param>
/// <param name="DynamicsFlags">Training-dynamics flags, or null when no history was given.</param>
/// <param name="Seeds">Seed variance by metric key; empty for a single run.</param>
public sealed record StabilityReport(
    IReadOnlyList<SimilarityKind> Similarities,
    RepeatResult Repeat,
    IReadOnlyList<PairScore> Local,
    IReadOnlyList<PairScore> WorstCase,
    ConditionConsistencyResult ConditionConsistency,
    PathLengthResult PathLength,
    LipschitzResult Lipschitz,
    DeterminismResult Determinism,
    IReadOnlyList<DynamicsFlag>? DynamicsFlags,
    IReadOnlyDictionary<string, SeedStatistics> Seeds)
{
    /// <summary>The worst pairs of each ε (lowest search similarity), for display; empty when none were kept.</summary>
    public IReadOnlyList<WorstCasePair> WorstCasePairs { get; init; } = [];

    /// <summary>The training history the dynamics flags were computed from; null when none was given.</summary>
    public IReadOnlyList<TrainingLogEntry>? History { get; init; }

    /// <summary>Formats ε for keys: invariant culture, shortest round-trip form (0.01, 0.3).</summary>
    public static string FormatEpsilon(double epsilon) => epsilon.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// Flat keys as listed in issue 4 (values are double, double?, string? or, for <c>dynamics.flags</c>, a
    /// list of <see cref="DynamicsFlag"/> that JSON writes as objects {kind, step, series, message}):
    /// <c>repeat</c>, <c>local.&lt;eps&gt;.&lt;similarity&gt;</c>, <c>worstCase.&lt;eps&gt;.&lt;similarity&gt;</c>,
    /// <c>conditionConsistency</c>, <c>ppl</c>, <c>lipschitz.mean</c>, <c>lipschitz.worst</c>,
    /// <c>determinism.threads.maxAbsDiff</c>, <c>determinism.kernels</c>, <c>dynamics.flags</c>, <c>seeds.&lt;metric&gt;.mean|std|cv</c>,
    /// plus the supporting keys documented in docs/metrics-stability.md.
    /// </summary>
    public IReadOnlyDictionary<string, object?> ToFlatDictionary()
    {
        var flat = new Dictionary<string, object?>
        {
            ["repeat"] = Repeat.Similarity,
            ["repeat.maxAbsDiff"] = Repeat.MaxAbsDiff,
            ["repeat.failure"] = Repeat.Failure,
        };
        foreach (var score in Local)
            flat[$"local.{FormatEpsilon(score.Epsilon)}.{Similarity.Key(score.Similarity)}"] = score.Mean;
        foreach (var score in WorstCase)
            flat[$"worstCase.{FormatEpsilon(score.Epsilon)}.{Similarity.Key(score.Similarity)}"] = score.Mean;
        if (WorstCase.Count > 0) flat["worstCase.method"] = WorstCase[0].Method;

        flat["conditionConsistency"] = ConditionConsistency.Value;
        if (ConditionConsistency.Reason is { } reason) flat["conditionConsistency.reason"] = reason;
        if (ConditionConsistency.PerCondition is { } perCondition)
            for (var c = 0; c < perCondition.Count; c++) flat[$"conditionConsistency.{c}"] = perCondition[c];

        flat["ppl"] = PathLength.Value;
        if (PathLength.PerCondition is { } pplPerCondition)
            for (var c = 0; c < pplPerCondition.Count; c++) flat[$"ppl.{c}"] = pplPerCondition[c];

        flat["lipschitz.mean"] = Lipschitz.Mean;
        flat["lipschitz.max"] = Lipschitz.Max;
        flat["lipschitz.worst"] = Lipschitz.Worst;
        flat["lipschitz.worstMean"] = Lipschitz.WorstMean;
        flat["determinism.seed.maxAbsDiff"] = Determinism.SameSeedMaxAbsDiff;
        flat["determinism.threads.maxAbsDiff"] = Determinism.ThreadsMaxAbsDiff;
        flat["determinism.kernels"] = Determinism.KernelsCertified ? 1.0 : 0.0;
        flat["dynamics.flags"] = DynamicsFlags;
        if (DynamicsFlags is null) flat["dynamics.reason"] = "no training history was given";

        foreach (var (metric, statistics) in Seeds)
        {
            flat[$"seeds.{metric}.mean"] = statistics.Mean;
            flat[$"seeds.{metric}.std"] = statistics.Std;
            flat[$"seeds.{metric}.cv"] = statistics.CoefficientOfVariation;
        }
        return flat;
    }
}
