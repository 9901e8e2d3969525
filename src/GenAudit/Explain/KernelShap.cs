using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain;

/// <summary>Options of <see cref="KernelShap"/>.</summary>
public sealed class KernelShapOptions : AttributionOptions
{
    /// <summary>
    /// Budget of coalitions evaluated per example, besides the empty and the full one. When all
    /// 2^M − 2 coalitions fit, they are enumerated exactly; otherwise this many are sampled (rounded
    /// down to an even number, since they come in complementary pairs). Default 2048.
    /// </summary>
    public int Samples { get; init; } = 2048;

    internal override void Validate(string method)
    {
        base.Validate(method);
        if (Samples < 2) throw new ArgumentOutOfRangeException(nameof(Samples), Samples, $"{method}: Samples must be >= 2.");
    }
}

/// <summary>
/// KernelSHAP (Lundberg and Lee 2017) over the groups of a feature mask. A coalition keeps the
/// input on its groups and puts the baseline elsewhere. With M groups, when 2^M − 2 coalitions fit
/// the budget all are enumerated with the Shapley kernel weight (M − 1) / (C(M, s) s (M − s)) and
/// the result equals the exact Shapley values; otherwise coalition sizes s are drawn from the
/// kernel's size distribution p(s) ∝ (M − 1) / (s (M − s)), a uniform coalition of that size is
/// drawn, and its complement is added too (paired sampling), each with weight 1. φ solves the
/// weighted least squares problem with Σφ = f(x) − f(b) enforced exactly (float64, see
/// <c>LinearSolve.ConstrainedShapley</c>). Every group may be non-zero.
/// </summary>
public sealed class KernelShap(AttributionTarget target, KernelShapOptions? options = null)
    : PerturbationAttribution(target, options ?? new KernelShapOptions())
{
    KernelShapOptions ShapOptions => (KernelShapOptions)Options;

    /// <inheritdoc/>
    public override string MethodName => "kernelshap";

    /// <summary>
    /// Shapley values of the groups of <paramref name="mask"/> (identity by default) for each example of
    /// <paramref name="inputs"/> (B, ...) against <paramref name="baseline"/> (zeros by default).
    /// Sampling draws from <paramref name="generator"/> or the seed.
    /// </summary>
    public AttributionResult Attribute(Tensor inputs, FeatureMask? mask = null, Baseline? baseline = null, Generator? generator = null)
    {
        ValidateInputs(inputs);
        using var identity = mask is null ? FeatureMask.Identity(inputs.shape[1..]) : null;
        var groups = mask ?? identity!;
        if (groups.Count < 1) throw new ArgumentException("kernelshap: the feature mask has no groups.");
        return Compute(inputs, groups, baseline ?? Baseline.Zeros, Options.GeneratorOrSeeded(generator));
    }

    AttributionResult Compute(Tensor inputs, FeatureMask mask, Baseline baseline, Generator generator)
    {
        var meter = new ModelMeter();
        using var scope = NewDisposeScope();
        var x = inputs.detach();
        var batch = x.shape[0];
        var m = mask.Count;
        var flatGroups = mask.FlatGroupsFor(x); // (B, F)
        var reference = baseline.Resolve(x);
        var exact = m <= 30 && (1L << m) - 2 <= ShapOptions.Samples;
        var (coalitions, weights) = exact ? Enumerate(m) : Sample(m, ShapOptions.Samples, generator); // (S, M), (S,)

        var ends = ValuesInBatches(cat([x, reference]), meter); // (2B,)
        var atInput = ends.narrow(0, 0, batch);
        var atBaseline = ends.narrow(0, batch, batch);
        Tensor phi;
        double ridge = 0;
        if (coalitions.shape[0] == 0)
        {
            phi = (atInput - atBaseline).unsqueeze(1); // M = 1: the single group takes the whole difference
        }
        else
        {
            var values = EvaluateCoalitions(x, reference, flatGroups, coalitions, meter); // (B, S)
            (phi, ridge) = LinearSolve.ConstrainedShapley(coalitions.to(ScalarType.Float64), weights, values, atBaseline, atInput);
        }

        var inputValues = ToDoubles(atInput);
        var baselineValues = ToDoubles(atBaseline);
        var sums = ToDoubles(phi.sum(1));
        var parameters = Options.BaseParameters();
        parameters["samples"] = ShapOptions.Samples.ToString(CultureInfo.InvariantCulture);
        parameters["coalitions"] = coalitions.shape[0].ToString(CultureInfo.InvariantCulture);
        parameters["exact"] = exact ? "true" : "false";
        parameters["features"] = m.ToString(CultureInfo.InvariantCulture);
        parameters["mask"] = mask.Name;
        parameters["baseline"] = baseline.Name;
        parameters["ridge"] = ridge.ToString("R", CultureInfo.InvariantCulture);
        return new AttributionResult
        {
            Method = MethodName,
            Attributions = ToElements(phi, flatGroups, x).MoveToOuterDisposeScope(),
            GroupAttributions = phi.to(x.dtype).MoveToOuterDisposeScope(),
            TargetAtInput = inputValues,
            TargetAtBaseline = baselineValues,
            CompletenessError = sums.Select((s, i) => s - (inputValues[i] - baselineValues[i])).ToArray(),
            Parameters = parameters, Elapsed = meter.Elapsed, ModelTime = meter.ModelTime,
            ModelCalls = meter.Calls, ModelEvaluations = meter.Evaluations,
        };
    }

    /// <summary>All coalitions of size 1..M−1 with their Shapley kernel weights.</summary>
    static (Tensor Coalitions, Tensor Weights) Enumerate(int m)
    {
        var count = (int)((1L << m) - 2);
        var bits = new float[count * m];
        var weights = new double[count];
        for (var code = 1; code <= count; code++)
        {
            var size = 0;
            for (var j = 0; j < m; j++)
                if ((code >> j & 1) == 1) { bits[(code - 1) * m + j] = 1; size++; }
            weights[code - 1] = (m - 1) / (Binomial(m, size) * size * (m - size));
        }
        return (tensor(bits).view(count, m), tensor(weights));
    }

    /// <summary>Pairs of complementary coalitions with sizes drawn from the Shapley kernel's size distribution; unit weights.</summary>
    static (Tensor Coalitions, Tensor Weights) Sample(int m, int budget, Generator generator)
    {
        var pairs = budget / 2;
        var sizeProbability = tensor(Enumerable.Range(1, m - 1).Select(s => (m - 1.0) / (s * (m - s))).ToArray());
        var sizes = multinomial(sizeProbability, pairs, replacement: true, generator: generator) + 1; // (P,) in 1..M-1
        var ranks = rand([pairs, m], dtype: ScalarType.Float64, generator: generator).argsort(1).argsort(1); // a uniform permutation per row
        var half = ranks.lt(sizes.unsqueeze(1)).to(ScalarType.Float32); // (P, M), `size` ones at random places
        var coalitions = cat([half, 1 - half]); // (2P, M)
        return (coalitions, ones(2 * pairs, dtype: ScalarType.Float64));
    }

    static double Binomial(int n, int k)
    {
        double result = 1;
        for (var i = 1; i <= k; i++) result = result * (n - k + i) / i;
        return result;
    }
}
