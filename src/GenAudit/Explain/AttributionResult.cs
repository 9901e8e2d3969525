using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>
/// What an attribution method returns for a batch: the attributions in the input's shape, the
/// target at the input and at the baseline, the method's own correctness check where it has one,
/// its parameters and where the time went. Owns <see cref="Attributions"/> and
/// <see cref="GroupAttributions"/>; dispose it (or move the tensors out) when done.
/// </summary>
public sealed record AttributionResult : IDisposable
{
    /// <summary>Method name as used on the command line (for example "ig", "kernelshap").</summary>
    public required string Method { get; init; }

    /// <summary>Attributions with the input's shape (B, ...); each element of a feature group carries the group's value.</summary>
    public required Tensor Attributions { get; init; }

    /// <summary>Per-group attributions (B, M) for methods over a <see cref="FeatureMask"/>; null otherwise.</summary>
    public Tensor? GroupAttributions { get; init; }

    /// <summary>Target f(x) per example.</summary>
    public required double[] TargetAtInput { get; init; }

    /// <summary>Target f(baseline) per example (the mean over the background set for GradientSHAP); null when the method has no baseline.</summary>
    public double[]? TargetAtBaseline { get; init; }

    /// <summary>Σφ − (f(x) − f(baseline)) per example; null when the method makes no completeness promise.</summary>
    public double[]? CompletenessError { get; init; }

    /// <summary>Gradient evaluations on the path per example, refinement included (Integrated Gradients); null otherwise.</summary>
    public int[]? IntegrationSteps { get; init; }

    /// <summary>
    /// True when the attributions already carry the input's displacement from the baseline (φ sums towards
    /// f(x) − f(b): IG, input × gradient, SHAP, perturbation methods); false for local gradients (saliency and
    /// the noise tunnel over it), which infidelity multiplies by (x − b) first (Captum's multiply_by_inputs).
    /// </summary>
    public bool MultipliedByInputs { get; init; } = true;

    /// <summary>Weighted R² of a surrogate model per example (LIME); null otherwise.</summary>
    public double[]? RSquared { get; init; }

    /// <summary>Every parameter that shaped the result, formatted invariantly, for reports.</summary>
    public required IReadOnlyDictionary<string, string> Parameters { get; init; }

    /// <summary>Wall-clock time of the whole Attribute call.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Time spent inside the target (forward and, for gradient methods, backward passes).</summary>
    public required TimeSpan ModelTime { get; init; }

    /// <summary>Number of calls to the target function (each a batch of at most the internal batch size).</summary>
    public required long ModelCalls { get; init; }

    /// <summary>Number of examples passed through the target across all calls.</summary>
    public required long ModelEvaluations { get; init; }

    /// <summary>Share of <see cref="Elapsed"/> spent inside the model, in [0, 1]; higher means less overhead.</summary>
    public double ModelShare => Elapsed.Ticks == 0 ? 0 : Math.Min(1.0, (double)ModelTime.Ticks / Elapsed.Ticks);

    /// <summary>Disposes the result tensors.</summary>
    public void Dispose()
    {
        Attributions.Dispose();
        GroupAttributions?.Dispose();
    }
}
