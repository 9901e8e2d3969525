using System.Globalization;
using TorchSharp;

namespace GenAudit.Explain.Evaluation;

/// <summary>How infidelity perturbs the input (Yeh et al. 2019).</summary>
public enum InfidelityPerturbation
{
    /// <summary>
    /// A random subset of features goes to the baseline; I is the subset's indicator, so Iᵀφ is the
    /// subset's attribution sum. Suits attributions that sum to f(x) − f(baseline) (IG, SHAP, ablation, LIME).
    /// </summary>
    BaselineSubsets,

    /// <summary>
    /// I ~ N(0, σ²) per element and the input becomes x − I; Iᵀφ is then a first-order prediction of
    /// the change, so this suits gradient-like attributions (saliency, SmoothGrad). Needs element attributions.
    /// </summary>
    Gaussian,
}

/// <summary>Options of every explanation metric, in one place so a CLI flag and a library call mean the same thing.</summary>
public sealed class EvaluationOptions
{
    /// <summary>Largest number of perturbed inputs sent to the target or explainer in one call. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Seed of the metrics' random draws when no generator is passed. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Number of steps K of the deletion and insertion curves (K + 1 points at fractions k/K; capped at the feature count). Default 20.</summary>
    public int CurveSteps { get; init; } = 20;

    /// <summary>Number of random feature subsets per example for the faithfulness correlation. Default 100 (Bhatt et al. 2020 use 100s).</summary>
    public int FaithfulnessSubsets { get; init; } = 100;

    /// <summary>Share of the features in each random subset (faithfulness correlation and subset infidelity), at least one feature. Default 0.2.</summary>
    public double SubsetFraction { get; init; } = 0.2;

    /// <summary>Number of perturbations per example for infidelity. Default 50.</summary>
    public int InfidelitySamples { get; init; } = 50;

    /// <summary>Perturbation distribution of infidelity. Default <see cref="InfidelityPerturbation.BaselineSubsets"/>.</summary>
    public InfidelityPerturbation InfidelityPerturbation { get; init; } = InfidelityPerturbation.BaselineSubsets;

    /// <summary>σ of the Gaussian infidelity perturbation, in input units. Default 0.1.</summary>
    public double InfidelityNoiseStandardDeviation { get; init; } = 0.1;

    /// <summary>Number of perturbed inputs per example for max- and average-sensitivity. Default 10 (as Captum).</summary>
    public int SensitivitySamples { get; init; } = 10;

    /// <summary>Radius r of the L∞ ball the sensitivity perturbations are drawn from uniformly, in input units. Default 0.02 (as Captum).</summary>
    public double SensitivityRadius { get; init; } = 0.02;

    /// <summary>
    /// Below this spread of the target over the explained inputs (standard deviation of f(xᵢ) / max(1, RMS of f(xᵢ)))
    /// the target counts as constant and Explainability(G) is not applicable. Default 1e-3: a thousandth of a logit or
    /// of a pixel's range is well under what any output can show, yet above float32 rounding of order-one values (1e-7).
    /// </summary>
    public double ConstantTargetTolerance { get; init; } = 1e-3;

    /// <summary>The generator to draw from: the caller's, or a new one seeded with <see cref="Seed"/>.</summary>
    internal torch.Generator GeneratorOrSeeded(torch.Generator? generator) => generator ?? new torch.Generator(unchecked((ulong)Seed));

    /// <summary>Number of features in a random subset of <paramref name="features"/>.</summary>
    internal int SubsetSize(int features) => Math.Clamp((int)Math.Round(SubsetFraction * features), 1, features);

    /// <summary>Throws with the field and the fix when an option is out of range.</summary>
    internal void Validate()
    {
        static void Check(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentOutOfRangeException(field, value, $"explanation evaluation: {field} {rule}.");
        }
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be >= 1");
        Check(CurveSteps >= 1, nameof(CurveSteps), CurveSteps, "must be >= 1");
        Check(FaithfulnessSubsets >= 2, nameof(FaithfulnessSubsets), FaithfulnessSubsets, "must be >= 2 to correlate");
        Check(SubsetFraction > 0 && SubsetFraction <= 1, nameof(SubsetFraction), SubsetFraction, "must lie in (0, 1]");
        Check(InfidelitySamples >= 1, nameof(InfidelitySamples), InfidelitySamples, "must be >= 1");
        Check(InfidelityNoiseStandardDeviation >= 0, nameof(InfidelityNoiseStandardDeviation), InfidelityNoiseStandardDeviation, "must be >= 0");
        Check(SensitivitySamples >= 1, nameof(SensitivitySamples), SensitivitySamples, "must be >= 1");
        Check(SensitivityRadius >= 0, nameof(SensitivityRadius), SensitivityRadius, "must be >= 0");
        Check(ConstantTargetTolerance >= 0, nameof(ConstantTargetTolerance), ConstantTargetTolerance, "must be >= 0");
    }

    /// <summary>Every option, formatted invariantly, for reports.</summary>
    public IReadOnlyDictionary<string, string> ToParameters() => new Dictionary<string, string>
    {
        ["batchSize"] = BatchSize.ToString(CultureInfo.InvariantCulture),
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        ["curveSteps"] = CurveSteps.ToString(CultureInfo.InvariantCulture),
        ["faithfulnessSubsets"] = FaithfulnessSubsets.ToString(CultureInfo.InvariantCulture),
        ["subsetFraction"] = SubsetFraction.ToString("R", CultureInfo.InvariantCulture),
        ["infidelitySamples"] = InfidelitySamples.ToString(CultureInfo.InvariantCulture),
        ["infidelityPerturbation"] = InfidelityPerturbation.ToString(),
        ["infidelityNoiseStandardDeviation"] = InfidelityNoiseStandardDeviation.ToString("R", CultureInfo.InvariantCulture),
        ["sensitivitySamples"] = SensitivitySamples.ToString(CultureInfo.InvariantCulture),
        ["sensitivityRadius"] = SensitivityRadius.ToString("R", CultureInfo.InvariantCulture),
        ["constantTargetTolerance"] = ConstantTargetTolerance.ToString("R", CultureInfo.InvariantCulture),
    };
}
