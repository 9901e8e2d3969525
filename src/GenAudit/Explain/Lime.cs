using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>Options of <see cref="Lime"/>.</summary>
public sealed class LimeOptions : AttributionOptions
{
    /// <summary>Number of random coalitions per example. Default 1000 (as lime's image explainer).</summary>
    public int Samples { get; init; } = 1000;

    /// <summary>
    /// Width w of the kernel exp(−d²/w²) on the cosine distance d between a coalition and the all-ones
    /// coalition. Default √2 · 0.25 ≈ 0.354, which gives exactly the weights of lime's image explainer
    /// (kernel_width = 0.25 in sqrt(exp(−d²/0.25²))). Captum's Lime differs: width 1.0 in
    /// exp(−d²/(2w²)), on the distance between the perturbed and original inputs.
    /// </summary>
    public double KernelWidth { get; init; } = 0.25 * Math.Sqrt(2);

    /// <summary>
    /// Ridge penalty α of the surrogate, relative to the data term (weights are normalised to sum to 1).
    /// Default 1e-5: enough to keep the solve well posed, small enough that a linear target is fitted
    /// with R² = 1 − O(α²) and coefficients shrunk by a relative O(α / weighted variance) ≈ 3e-4.
    /// </summary>
    public double Ridge { get; init; } = 1e-5;

    internal override void Validate(string method)
    {
        base.Validate(method);
        if (Samples < 2) throw new ArgumentOutOfRangeException(nameof(Samples), Samples, $"{method}: Samples must be >= 2.");
        if (!(KernelWidth > 0)) throw new ArgumentOutOfRangeException(nameof(KernelWidth), KernelWidth, $"{method}: KernelWidth must be > 0.");
        if (!(Ridge >= 0)) throw new ArgumentOutOfRangeException(nameof(Ridge), Ridge, $"{method}: Ridge must be >= 0.");
    }
}

/// <summary>
/// LIME (Ribeiro et al. 2016) over the groups of a feature mask: coalitions z ~ Bernoulli(0.5)^M keep
/// the input on their groups and the baseline elsewhere; each is weighted by exp(−d²/w²) with
/// d = 1 − cos(z, 1) = 1 − sqrt(|z| / M) (d = 1 for the empty coalition); a weighted ridge
/// regression y ≈ β₀ + z·β is fitted and β is the attribution. The weighted R² of the fit (local
/// fidelity) is returned per example.
/// </summary>
public sealed class Lime(AttributionTarget target, LimeOptions? options = null)
    : PerturbationAttribution(target, options ?? new LimeOptions())
{
    LimeOptions LimeOptions => (LimeOptions)Options;

    /// <inheritdoc/>
    public override string MethodName => "lime";

    /// <summary>
    /// Surrogate coefficients for the groups of <paramref name="mask"/> (identity by default) for each
    /// example of <paramref name="inputs"/> (B, ...), against <paramref name="baseline"/> (zeros by default).
    /// </summary>
    public AttributionResult Attribute(Tensor inputs, FeatureMask? mask = null, Baseline? baseline = null, Generator? generator = null)
    {
        ValidateInputs(inputs);
        using var identity = mask is null ? FeatureMask.Identity(inputs.shape[1..]) : null;
        return Compute(inputs, mask ?? identity!, baseline ?? Baseline.Zeros, Options.GeneratorOrSeeded(generator));
    }

    AttributionResult Compute(Tensor inputs, FeatureMask mask, Baseline baseline, Generator generator)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var x = inputs.detach();
        var batch = x.shape[0];
        var m = mask.Count;
        var flatGroups = mask.FlatGroupsFor(x);
        var reference = baseline.Resolve(x);
        var coalitions = rand([LimeOptions.Samples, m], dtype: ScalarType.Float64, generator: generator).lt(0.5).to(ScalarType.Float64); // (S, M)
        var distance = 1 - (coalitions.sum(1) / m).sqrt(); // cosine distance to all-ones; 1 for the empty coalition
        var weights = (-(distance.square()) / (LimeOptions.KernelWidth * LimeOptions.KernelWidth)).exp(); // (S,)
        var ends = ValuesInBatches(cat([x, reference]), meter);
        var values = EvaluateCoalitions(x, reference, flatGroups, coalitions, meter); // (B, S)
        var (coefficients, _, rSquared) = LinearSolve.WeightedRidge(coalitions, weights, values, LimeOptions.Ridge);

        var parameters = Options.BaseParameters();
        parameters["samples"] = LimeOptions.Samples.ToString(CultureInfo.InvariantCulture);
        parameters["kernelWidth"] = LimeOptions.KernelWidth.ToString("R", CultureInfo.InvariantCulture);
        parameters["ridge"] = LimeOptions.Ridge.ToString("R", CultureInfo.InvariantCulture);
        parameters["features"] = m.ToString(CultureInfo.InvariantCulture);
        parameters["mask"] = mask.Name;
        parameters["baseline"] = baseline.Name;
        return new AttributionResult
        {
            Method = MethodName,
            Attributions = ToElements(coefficients, flatGroups, x).MoveToOuterDisposeScope(),
            GroupAttributions = coefficients.to(x.dtype).MoveToOuterDisposeScope(),
            TargetAtInput = ToDoubles(ends.narrow(0, 0, batch)),
            TargetAtBaseline = ToDoubles(ends.narrow(0, batch, batch)),
            RSquared = ToDoubles(rSquared),
            Parameters = parameters, Elapsed = meter.Elapsed, ModelTime = meter.ModelTime,
            ModelCalls = meter.Calls, ModelEvaluations = meter.Evaluations,
        };
    }
}
