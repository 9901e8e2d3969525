using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain.Evaluation;

/// <summary>
/// Faithfulness correlation (Bhatt et al. 2020): for <see cref="EvaluationOptions.FaithfulnessSubsets"/>
/// uniform random subsets S of <see cref="EvaluationOptions.SubsetFraction"/> of the features, the Pearson
/// correlation between Σ_{i∈S} φ_i and f(x) − f(x with S at the baseline). In [−1, 1], higher is better;
/// 0 when either side does not vary over the subsets (no linear relation can be shown).
/// </summary>
public static class FaithfulnessCorrelation
{
    /// <summary>
    /// The correlation per example of <paramref name="inputs"/> (B, ...) for <paramref name="attributions"/> (input's
    /// shape, or (B, M) per group of <paramref name="mask"/>); subsets come from <paramref name="generator"/> or the seed.
    /// </summary>
    public static double[] Compute(Func<Tensor, Tensor> target, Tensor inputs, Tensor attributions, Baseline? baseline = null,
                                   FeatureMask? mask = null, EvaluationOptions? options = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        options ??= new EvaluationOptions();
        options.Validate();
        using var scope = NewDisposeScope();
        var space = FeatureSpace.Create(inputs, baseline, mask, "faithfulness correlation");
        var values = space.FeatureValues(attributions, "faithfulness correlation"); // (B, M)
        var (sums, drops) = SubsetSumsAndDrops(target, space, values, options.FaithfulnessSubsets, options, options.GeneratorOrSeeded(generator));
        var a = Numerics.ToDoubles(sums);
        var d = Numerics.ToDoubles(drops);
        var s = options.FaithfulnessSubsets;
        return Enumerable.Range(0, (int)space.Batch).Select(i => Correlation.Pearson(a.AsSpan(i * s, s), d.AsSpan(i * s, s))).ToArray();
    }

    /// <summary>
    /// For <paramref name="count"/> random subsets per example: Σ_{i∈S} φ_i and f(x) − f(x with S at the baseline),
    /// both (B, count) float64.
    /// </summary>
    internal static (Tensor Sums, Tensor Drops) SubsetSumsAndDrops(Func<Tensor, Tensor> target, FeatureSpace space, Tensor values,
                                                                   int count, EvaluationOptions options, Generator generator)
    {
        var batch = space.Batch;
        var subsets = space.RandomSubsets(batch * count, options.SubsetSize(space.Count), generator).view(batch, count, space.Count); // (B, S, M)
        var sums = (subsets * values.unsqueeze(1)).sum(dim: -1); // (B, S)
        var flatSubsets = subsets.view(batch * count, space.Count);
        var perturbed = Batched.Evaluate(target, batch * count, (start, length) =>
        {
            var pair = arange(start, start + length, dtype: ScalarType.Int64, device: values.device);
            return space.Remove(pair.div(count, rounding_mode: RoundingMode.floor), flatSubsets.narrow(0, start, length));
        }, options.BatchSize).view(batch, count);
        var atInput = Batched.Evaluate(target, space.Inputs, options.BatchSize); // (B,)
        return (sums, atInput.unsqueeze(1) - perturbed);
    }
}

/// <summary>Pearson and Spearman correlations with the conventions the metrics document.</summary>
internal static class Correlation
{
    /// <summary>Pearson correlation; 0 when either side is constant.</summary>
    public static double Pearson(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var n = x.Length;
        double mx = 0, my = 0;
        for (var i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            var dx = x[i] - mx;
            var dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        // Relative threshold: sums of rounding noise around a constant must not count as variation.
        var tiny = 1e-24 * Math.Max(1, n * (mx * mx + my * my));
        return sxx <= tiny || syy <= tiny ? 0 : Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1);
    }

    /// <summary>Spearman rank correlation with average ranks for ties; 1 when both sides are identical, 0 when only one side is constant.</summary>
    public static double Spearman(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.SequenceEqual(y)) return 1;
        return Pearson(Ranks(x), Ranks(y));
    }

    static double[] Ranks(ReadOnlySpan<double> values)
    {
        var n = values.Length;
        var order = Enumerable.Range(0, n).ToArray();
        var copy = values.ToArray();
        Array.Sort(copy, order);
        var ranks = new double[n];
        for (var start = 0; start < n;)
        {
            var end = start;
            while (end + 1 < n && copy[end + 1] == copy[start]) end++;
            var average = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++) ranks[order[k]] = average;
            start = end + 1;
        }
        return ranks;
    }
}
