using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Explain.Evaluation;

/// <summary>
/// Sparseness and complexity of an attribution, over the features (elements, or the groups of a mask):
/// sparseness is the Gini index of |φ| (Chalasani et al. 2020), complexity the entropy of |φ| / Σ|φ|
/// (Bhatt et al. 2020). Both are NaN for an all-zero attribution.
/// </summary>
public static class AttributionStatistics
{
    /// <summary>
    /// Gini index G = Σ_k (2k − n − 1) a_(k) / (n Σ a) of a = |φ| sorted ascending (k = 1..n): 0 when all
    /// features share equally, (n − 1)/n when one feature holds everything. In [0, 1); higher is sparser.
    /// </summary>
    public static double Gini(ReadOnlySpan<double> attributions)
    {
        var a = attributions.ToArray().Select(Math.Abs).ToArray();
        Array.Sort(a);
        var n = a.Length;
        double total = 0, weighted = 0;
        for (var k = 1; k <= n; k++)
        {
            total += a[k - 1];
            weighted += (2.0 * k - n - 1) * a[k - 1];
        }
        return total == 0 ? double.NaN : weighted / (n * total);
    }

    /// <summary>
    /// Entropy −Σ p ln p of p = |φ| / Σ|φ| (natural log, 0 ln 0 = 0): 0 for one feature, ln n for equal shares.
    /// In [0, ln n]; lower is simpler.
    /// </summary>
    public static double Entropy(ReadOnlySpan<double> attributions)
    {
        double total = 0;
        foreach (var v in attributions) total += Math.Abs(v);
        if (total == 0) return double.NaN;
        double entropy = 0;
        foreach (var v in attributions)
        {
            var p = Math.Abs(v) / total;
            if (p > 0) entropy -= p * Math.Log(p);
        }
        return entropy;
    }

    /// <summary>
    /// Sparseness (Gini) and complexity (entropy) per example of <paramref name="attributions"/> (input's shape, or (B, M)
    /// per group of <paramref name="mask"/> for <paramref name="inputs"/>); element attributions are summed per group first.
    /// </summary>
    public static (double[] Sparseness, double[] Complexity) Compute(Tensor inputs, Tensor attributions, FeatureMask? mask = null)
    {
        using var scope = NewDisposeScope();
        var space = FeatureSpace.Create(inputs, null, mask, "sparseness/complexity");
        var values = Numerics.ToDoubles(space.FeatureValues(attributions, "sparseness/complexity"));
        var m = space.Count;
        var rows = Enumerable.Range(0, (int)space.Batch).ToArray();
        return (rows.Select(i => Gini(values.AsSpan(i * m, m))).ToArray(), rows.Select(i => Entropy(values.AsSpan(i * m, m))).ToArray());
    }
}
