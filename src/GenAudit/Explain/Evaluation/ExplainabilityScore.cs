namespace GenAudit.Explain.Evaluation;

/// <summary>The three components of the explainability score of one sample, each in [0, 1] (NaN when not measured).</summary>
/// <param name="Faithfulness">From the deletion/insertion AUCs and the faithfulness correlation.</param>
/// <param name="Robustness">From max-sensitivity.</param>
/// <param name="Sanity">From the model-randomisation check.</param>
public sealed record ExplainabilityComponents(double Faithfulness, double Robustness, double Sanity);

/// <summary>
/// explainability_score of one sample and method, in [0, 1], higher is better:
/// 0.5 · faithfulness + 0.25 · robustness + 0.25 · sanity, where
/// faithfulness = ½ clamp(insertionAuc − deletionAuc, 0, 1) + ½ max(0, faithfulnessCorrelation),
/// robustness = max(0, 1 − maxSensitivity) and sanity = 1 − mean over layers of max(0, Spearman).
/// A component or term that could not be measured (NaN) is left out and the remaining weights are
/// rescaled to sum to 1. docs/metrics-explanations.md gives the reasoning.
/// </summary>
public static class ExplainabilityScore
{
    /// <summary>Weight of faithfulness. 0.5: an explanation that does not track the model is useless however stable it is.</summary>
    public const double FaithfulnessWeight = 0.5;

    /// <summary>Weight of robustness. 0.25.</summary>
    public const double RobustnessWeight = 0.25;

    /// <summary>Weight of sanity. 0.25.</summary>
    public const double SanityWeight = 0.25;

    /// <summary>
    /// ½ clamp(insertion − deletion, 0, 1) + ½ max(0, correlation), from normalised AUCs; random or
    /// anti-faithful attributions get 0. NaN terms are skipped; NaN when both are.
    /// </summary>
    public static double Faithfulness(double insertionAuc, double deletionAuc, double faithfulnessCorrelation) =>
        WeightedMean([(Math.Clamp(insertionAuc - deletionAuc, 0, 1), 0.5), (Math.Max(0, faithfulnessCorrelation), 0.5)]);

    /// <summary>max(0, 1 − maxSensitivity): 1 for an explanation that does not move, 0 once it moves by its own norm.</summary>
    public static double Robustness(double maxSensitivity) => double.IsNaN(maxSensitivity) ? double.NaN : Math.Max(0, 1 - maxSensitivity);

    /// <summary>1 − mean over the cascade steps of max(0, Spearman): 1 when randomising the model scrambles the explanation from the first step, 0 when it never changes.</summary>
    public static double Sanity(IEnumerable<double> spearmanPerLayer)
    {
        var values = spearmanPerLayer.Where(v => !double.IsNaN(v)).ToList();
        return values.Count == 0 ? double.NaN : 1 - values.Average(v => Math.Max(0, v));
    }

    /// <summary>The weighted mean of the components, skipping NaN ones; NaN when none was measured.</summary>
    public static double Combine(ExplainabilityComponents components)
    {
        ArgumentNullException.ThrowIfNull(components);
        return WeightedMean([(components.Faithfulness, FaithfulnessWeight), (components.Robustness, RobustnessWeight), (components.Sanity, SanityWeight)]);
    }

    static double WeightedMean((double Value, double Weight)[] terms)
    {
        double sum = 0, weights = 0;
        foreach (var (value, weight) in terms)
        {
            if (double.IsNaN(value)) continue;
            sum += weight * value;
            weights += weight;
        }
        return weights == 0 ? double.NaN : Math.Clamp(sum / weights, 0, 1);
    }
}
