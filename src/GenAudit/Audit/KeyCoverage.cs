using GenAudit.Metrics;
using GenAudit.Runs;
using GenAudit.Stability;

namespace GenAudit.Audit;

/// <summary>
/// Decides why a policy key has no value after an audit (docs/audit.md#exit-codes): its stage failed (exit 3),
/// this kind of run cannot produce it (not applicable, with the reason), or the run could have produced it
/// and did not (not measured, exit 2).
/// </summary>
internal static class KeyCoverage
{
    static readonly string[] StabilityPrefixes = ["repeat", "local.", "worstCase.", "conditionConsistency", "ppl", "lipschitz.", "determinism.", "seeds.", "independent."];

    /// <summary>The stage whose keys include <paramref name="key"/>: quality, stability or explanations.</summary>
    internal static string StageOf(string key) =>
        QualityEvaluation.Keys.Contains(key) ? "quality"
        : StabilityPrefixes.Any(p => key == p || key.StartsWith(p.EndsWith('.') ? p : p + ".", StringComparison.Ordinal)) ? "stability"
        : "explanations";

    internal static (VerdictStatus Status, string Reason) Missing(string key, AuditSubject subject, IReadOnlyDictionary<string, string> failed,
        QualityEvaluation? quality, StabilityReport? stability, ExplanationStage? explanations)
    {
        var stage = StageOf(key);
        if (failed.TryGetValue(stage, out var error)) return (VerdictStatus.StageFailed, $"the {stage} stage failed: {error}");
        var reason = stage switch
        {
            "quality" => quality?.WhyNotApplicable(key),
            "stability" => stability is null ? null : WhyNotStability(key, stability, subject),
            _ => explanations is null ? null : WhyNotExplanation(key, explanations),
        };
        return reason is not null
            ? (VerdictStatus.NotApplicable, reason)
            : (VerdictStatus.NotMeasured, "this run can produce the key but the audit did not measure it");
    }

    static string? WhyNotStability(string key, StabilityReport report, AuditSubject subject)
    {
        var parts = key.Split('.');
        if (parts[0] is "local" or "worstCase" && parts.Length >= 3)
        {
            var measured = report.Similarities.Select(Similarity.Key).ToList();
            if (!measured.Contains(parts[^1]))
                return $"similarity {parts[^1]} is not measured for {subject.Output} outputs (measured: {string.Join(", ", measured)})";
            return null;
        }
        if (parts[0] == "conditionConsistency")
            return report.ConditionConsistency.Reason ?? (parts.Length > 1 ? $"condition {parts[1]} does not exist: the model has {subject.Generator.ConditionCount} conditions" : null);
        if (parts[0] == "ppl" && parts.Length > 1)
            return subject.Generator.ConditionCount == 0 ? "per-condition path length is for conditional models; this one is unconditional" : $"condition {parts[1]} does not exist: the model has {subject.Generator.ConditionCount} conditions";
        if (parts[0] == "seeds") return "seed variance needs several runs (genaudit stability --seeds); an audit measures one run";
        return null;
    }

    static string? WhyNotExplanation(string key, ExplanationStage explanations)
    {
        if (explanations.Report.NotApplicableKeys().TryGetValue(key, out var notApplicable)) return notApplicable;
        var method = key.Split('.')[0];
        if (explanations.Notes.FirstOrDefault(n => n.StartsWith(method + " skipped", StringComparison.Ordinal)) is { } skipped) return skipped;
        if (explanations.Report.Methods.Any(m => m.Method == method))
        {
            if (key.Contains(".randomisation.", StringComparison.Ordinal))
                return "the model-randomisation check did not run: the generator's layers are not accessible";
            return $"method {method} does not report '{key[(method.Length + 1)..]}' (docs/metrics-explanations.md lists what each method reports)";
        }
        return null;
    }
}
