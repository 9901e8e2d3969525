using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>
/// FID's sufficient statistics of one shard of features: the count, the mean and the sum of outer
/// products of the rows centred on that mean, all in float64. Shards merge exactly (Chan, Golub and
/// LeVeque 1979), so FID over N samples can be computed in pieces on different machines.
/// </summary>
/// <remarks>
/// The outer products are centred on the shard's own mean rather than kept raw (Σ x xᵀ): both merge by
/// addition plus a rank-one correction, but raw sums lose digits to cancellation when the mean is large
/// against the spread, and the merged covariance must match the single-pass one to 1e-9.
/// </remarks>
/// <param name="Count">Rows in the shard, at least 1.</param>
/// <param name="Mean">Mean of the rows, length D.</param>
/// <param name="CentredOuterSum">Σ (x − mean)(x − mean)ᵀ, row-major D × D.</param>
public sealed record GaussianShard(long Count, double[] Mean, double[] CentredOuterSum)
{
    /// <summary>Feature dimension D.</summary>
    public int Dimension => Mean.Length;

    /// <summary>The statistics of one shard of features (N, D) of any float dtype; <paramref name="name"/> labels error messages.</summary>
    public static GaussianShard Of(Tensor features, string name = "features")
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = FeatureMatrix.ToFloat64(features, name);          // (n, D)
        var mean = x.mean([0]);                                    // (D,)
        var centred = x - mean;                                    // (n, D)
        var outer = centred.t().mm(centred);                       // (D, D)
        return new GaussianShard(x.shape[0], Numerics.ToDoubles(mean), Numerics.ToDoubles(outer));
    }

    /// <summary>The statistics of the union of two shards: counts add, means combine by weight, and the centred sums add with the rank-one term δδᵀ·nₐn_b/n.</summary>
    public GaussianShard Merge(GaussianShard other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Validate();
        other.Validate();
        if (other.Dimension != Dimension)
            throw new ArgumentException($"shards have dimensions {Dimension} and {other.Dimension}; both must come from the same feature extractor.");
        var d = Dimension;
        var n = Count + other.Count;
        var weight = (double)other.Count / n;
        var correction = (double)Count * other.Count / n;
        var mean = new double[d];
        var delta = new double[d];
        for (var i = 0; i < d; i++)
        {
            delta[i] = other.Mean[i] - Mean[i];
            mean[i] = Mean[i] + delta[i] * weight;
        }
        var sum = new double[d * d];
        for (var i = 0; i < d; i++)
            for (var j = 0; j < d; j++)
                sum[i * d + j] = CentredOuterSum[i * d + j] + other.CentredOuterSum[i * d + j] + delta[i] * delta[j] * correction;
        return new GaussianShard(n, mean, sum);
    }

    /// <summary>Merges shards in the order given (the result does not depend on the order beyond rounding).</summary>
    public static GaussianShard MergeAll(IEnumerable<GaussianShard> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        GaussianShard? merged = null;
        foreach (var shard in shards) merged = merged is null ? shard : merged.Merge(shard);
        return merged ?? throw new ArgumentException("no shards to merge");
    }

    /// <summary>Mean and unbiased (N − 1) covariance, as <see cref="FrechetDistance.ComputeStatistics"/> gives for all rows at once; the same sample-count rule applies.</summary>
    public GaussianStatistics ToStatistics(bool allowRankDeficient = false, string name = "features")
    {
        Validate();
        var d = Dimension;
        if (Count < 2) throw new ArgumentException($"{name}: {Count} samples, but FID needs at least 2.");
        if (Count <= d && !allowRankDeficient)
            throw new ArgumentException(
                $"{name}: {Count} samples of dimension {d} give a rank-deficient covariance (rank at most {Count - 1} < {d}). " +
                $"FID needs more samples than dimensions: use at least {d + 1}, or pass allowRankDeficient: true to accept a biased estimate.");
        if (Count > int.MaxValue) throw new ArgumentException($"{name}: {Count} samples exceed the {int.MaxValue} that GaussianStatistics records.");
        var covariance = new double[d, d];
        for (var i = 0; i < d; i++)
            for (var j = 0; j < d; j++)
                covariance[i, j] = 0.5 * (CentredOuterSum[i * d + j] + CentredOuterSum[j * d + i]) / (Count - 1);
        return new GaussianStatistics((double[])Mean.Clone(), covariance, (int)Count);
    }

    void Validate()
    {
        if (Count < 1) throw new ArgumentException($"a shard holds {Count} rows; it must hold at least 1.");
        ArgumentNullException.ThrowIfNull(Mean);
        ArgumentNullException.ThrowIfNull(CentredOuterSum);
        if (Mean.Length == 0) throw new ArgumentException("a shard has dimension 0.");
        if (CentredOuterSum.Length != (long)Mean.Length * Mean.Length)
            throw new ArgumentException($"a shard's mean has length {Mean.Length} but its outer-product sum has {CentredOuterSum.Length} entries; it must have {Mean.Length} × {Mean.Length}.");
    }
}
