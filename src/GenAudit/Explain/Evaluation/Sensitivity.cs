using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain.Evaluation;

/// <summary>Max- and average-sensitivity per example.</summary>
/// <param name="Max">max over the perturbations of ‖φ(x′) − φ(x)‖ / ‖φ(x)‖ (÷ 1 when ‖φ(x)‖ = 0); ≥ 0, lower is better.</param>
/// <param name="Average">The mean of the same ratio; ≥ 0, lower is better.</param>
public sealed record SensitivityResult(double[] Max, double[] Average);

/// <summary>
/// Max- and average-sensitivity (Yeh et al. 2019): re-runs the explainer on
/// <see cref="EvaluationOptions.SensitivitySamples"/> inputs x′ = x + u, u uniform in the L∞ ball of radius
/// <see cref="EvaluationOptions.SensitivityRadius"/>, and measures ‖φ(x′) − φ(x)‖₂ / ‖φ(x)‖₂ over all elements
/// (an all-zero explanation divides by 1, as Captum's sensitivity_max, so its sensitivity is ‖φ(x′)‖₂).
/// </summary>
public static class Sensitivity
{
    /// <summary>
    /// Sensitivity of <paramref name="explainer"/> (inputs (L, ...) → attributions of the same shape, any method)
    /// at each example of <paramref name="inputs"/> (B, ...); perturbations come from <paramref name="generator"/> or the seed.
    /// </summary>
    public static SensitivityResult Compute(Func<Tensor, Tensor> explainer, Tensor inputs, EvaluationOptions? options = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(explainer);
        options ??= new EvaluationOptions();
        options.Validate();
        using var scope = NewDisposeScope();
        var space = FeatureSpace.Create(inputs, null, null, "sensitivity");
        var x = space.Inputs;
        var batch = space.Batch;
        var count = options.SensitivitySamples;
        var r = options.SensitivityRadius;
        var noise = (rand([batch * count, .. x.shape[1..]], dtype: ScalarType.Float64, generator: options.GeneratorOrSeeded(generator)) * 2 - 1) * r; // (B·S, ...), example-major
        var original = Batched.Explain(explainer, batch, (start, length) => x.narrow(0, start, length), options.BatchSize).flatten(1); // (B, F)
        var perturbed = Batched.Explain(explainer, batch * count, (start, length) =>
        {
            var example = arange(start, start + length, dtype: ScalarType.Int64, device: x.device).div(count, rounding_mode: RoundingMode.floor);
            return x.index_select(0, example) + noise.narrow(0, start, length).to(x.dtype, x.device);
        }, options.BatchSize).view(batch, count, -1); // (B, S, F)
        var change = (perturbed - original.unsqueeze(1)).square().sum(dim: -1).sqrt(); // (B, S)
        var norm = original.square().sum(dim: -1).sqrt().unsqueeze(1); // (B, 1)
        var ratio = change / where(norm.eq(0), ones_like(norm), norm); // a zero-norm explanation divides by 1
        return new SensitivityResult(Numerics.ToDoubles(ratio.amax([1])), Numerics.ToDoubles(ratio.mean([1])));
    }
}
