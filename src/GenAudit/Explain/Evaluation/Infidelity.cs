using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain.Evaluation;

/// <summary>Infidelity per example, raw and with the attributions optimally rescaled.</summary>
/// <param name="Raw">E[(Iᵀφ − (f(x) − f(x − I)))²]; ≥ 0, lower is better.</param>
/// <param name="Normalised">The same with φ scaled by β = E[Iᵀφ · Δf] / E[(Iᵀφ)²] (Captum's normalize=True); ≥ 0, lower is better.</param>
/// <param name="MultipliedByInputs">The convention used: true when φ already carried (x − b) and was used as given, false when φ was a
/// local gradient and was multiplied by (x − b) first (subset perturbations) or used as given (Gaussian perturbations).</param>
public sealed record InfidelityResult(double[] Raw, double[] Normalised, bool MultipliedByInputs = true);

/// <summary>
/// Infidelity (Yeh et al. 2019): E_I[(Iᵀφ − (f(x) − f(x − I)))²] over <see cref="EvaluationOptions.InfidelitySamples"/>
/// perturbations I drawn from <see cref="EvaluationOptions.InfidelityPerturbation"/>: baseline subsets (I is a subset's
/// indicator and x − I means the subset at the baseline) or Gaussian noise N(0, σ²). Yeh et al.'s convention per method, as
/// Captum's multiply_by_inputs: with subsets, attributions that are local gradients (saliency, SmoothGrad) are multiplied by
/// (x − b) before Iᵀφ, so Iᵀφ predicts the change; with Gaussian noise, attributions that already carry (x − b) (IG, SHAP)
/// are divided by it (÷ 1 where x = b), so Iᵀφ is a first-order prediction.
/// </summary>
public static class Infidelity
{
    /// <summary>
    /// Infidelity of <paramref name="attributions"/> (input's shape, or (B, M) per group of <paramref name="mask"/> for
    /// subset perturbations) at each example of <paramref name="inputs"/> (B, ...); draws from <paramref name="generator"/> or the seed.
    /// <paramref name="multipliedByInputs"/>: whether φ already carries (x − b) (see <see cref="AttributionResult.MultipliedByInputs"/>).
    /// </summary>
    public static InfidelityResult Compute(Func<Tensor, Tensor> target, Tensor inputs, Tensor attributions, Baseline? baseline = null,
                                           FeatureMask? mask = null, EvaluationOptions? options = null, Generator? generator = null,
                                           bool multipliedByInputs = true)
    {
        ArgumentNullException.ThrowIfNull(target);
        options ??= new EvaluationOptions();
        options.Validate();
        using var scope = NewDisposeScope();
        var space = FeatureSpace.Create(inputs, baseline, mask, "infidelity");
        var random = options.GeneratorOrSeeded(generator);
        var count = options.InfidelitySamples;
        var subsets = options.InfidelityPerturbation == InfidelityPerturbation.BaselineSubsets;
        if (subsets != multipliedByInputs) attributions = Convention(space, attributions, subsets);
        var (predicted, drops) = options.InfidelityPerturbation == InfidelityPerturbation.BaselineSubsets
            ? FaithfulnessCorrelation.SubsetSumsAndDrops(target, space, space.FeatureValues(attributions, "infidelity"), count, options, random)
            : GaussianProductsAndDrops(target, space, attributions, options, random); // (B, S) each
        var raw = (predicted - drops).square().mean([1]);
        var beta = (predicted * drops).mean([1]) / (predicted.square().mean([1]) + 1e-300); // (B,)
        var normalised = (beta.unsqueeze(1) * predicted - drops).square().mean([1]);
        return new InfidelityResult(Numerics.ToDoubles(raw), Numerics.ToDoubles(normalised), multipliedByInputs);
    }

    /// <summary>φ ⊙ (x − b) for local gradients under subset perturbations; φ ⊘ (x − b) (÷ 1 where x = b) for displacement attributions under Gaussian ones.</summary>
    static Tensor Convention(FeatureSpace space, Tensor attributions, bool multiply)
    {
        var x = space.Inputs;
        if (!attributions.shape.SequenceEqual(x.shape))
            throw new ArgumentException($"infidelity: converting attributions between the gradient and the (x − b) conventions needs them in the input's shape [{string.Join(", ", x.shape)}], got [{string.Join(", ", attributions.shape)}].");
        var displacement = (x - space.Reference).to(ScalarType.Float64); // (B, ...)
        var phi = attributions.detach().to(ScalarType.Float64);
        return multiply ? phi * displacement : phi / where(displacement.eq(0), ones_like(displacement), displacement);
    }

    static (Tensor Products, Tensor Drops) GaussianProductsAndDrops(Func<Tensor, Tensor> target, FeatureSpace space, Tensor attributions,
                                                                    EvaluationOptions options, Generator generator)
    {
        var x = space.Inputs;
        if (!attributions.shape.SequenceEqual(x.shape))
            throw new ArgumentException($"infidelity: Gaussian perturbations need attributions of the input's shape [{string.Join(", ", x.shape)}], got [{string.Join(", ", attributions.shape)}]; use BaselineSubsets for group attributions.");
        var batch = space.Batch;
        var count = options.InfidelitySamples;
        var noise = randn([batch * count, .. x.shape[1..]], dtype: ScalarType.Float64, generator: generator) * options.InfidelityNoiseStandardDeviation; // (B·S, ...), example-major
        var phi = attributions.detach().to(ScalarType.Float64).flatten(1); // (B, F)
        var products = (noise.view(batch, count, -1) * phi.unsqueeze(1)).sum(dim: -1); // (B, S)
        var perturbed = Batched.Evaluate(target, batch * count, (start, length) =>
        {
            var example = arange(start, start + length, dtype: ScalarType.Int64).div(count, rounding_mode: RoundingMode.floor);
            return x.index_select(0, example.to(x.device)) - noise.narrow(0, start, length).to(x.dtype, x.device);
        }, options.BatchSize).view(batch, count);
        var atInput = Batched.Evaluate(target, x, options.BatchSize);
        return (products, atInput.unsqueeze(1) - perturbed);
    }
}
