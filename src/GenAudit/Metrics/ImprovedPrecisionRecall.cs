using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Settings for <see cref="ImprovedPrecisionRecall"/>.</summary>
public sealed record ImprovedPrecisionRecallOptions
{
    /// <summary>k of the k-NN radii; 3 in Kynkäänniemi et al. 2019.</summary>
    public int NearestK { get; init; } = 3;

    /// <summary>Real rows per distance block; memory is about 8 × 3 × ChunkRows × max(N, M) bytes.</summary>
    public int ChunkRows { get; init; } = PairwiseDistances.DefaultChunkRows;
}

/// <summary>Improved precision and recall. Higher is better; both in [0, 1].</summary>
/// <param name="Precision">Fraction of generated samples within (≤) the k-NN radius of at least one real sample.</param>
/// <param name="Recall">Fraction of real samples within (≤) the k-NN radius of at least one generated sample.</param>
/// <param name="NearestK">k used for the radii.</param>
/// <param name="RealCount">Number of real samples.</param>
/// <param name="FakeCount">Number of generated samples.</param>
public sealed record ImprovedPrecisionRecallResult(double Precision, double Recall, int NearestK, int RealCount, int FakeCount);

/// <summary>
/// Improved precision and recall (Kynkäänniemi et al. 2019): the real and generated manifolds are
/// unions of k-NN balls (k = 3 by default), and each metric is the fraction of one set inside the other's manifold.
/// </summary>
/// <remarks>
/// As in the authors' code, "inside" is inclusive: distance ≤ radius (PRDC uses &lt;; on continuous
/// features the two agree except on exact ties). Radii exclude the sample itself by index.
/// </remarks>
public static class ImprovedPrecisionRecall
{
    /// <summary>Improved precision and recall between real and generated feature matrices (N, D) of any float dtype; both sets need more than k samples.</summary>
    public static ImprovedPrecisionRecallResult Compute(Tensor real, Tensor fake, ImprovedPrecisionRecallOptions? options = null) =>
        ComputeWithCounts(real, fake, options, collectPairs: false).Result;

    /// <summary>Improved precision and recall and the counts behind them (with ball memberships when <paramref name="collectPairs"/>), for the bootstrap.</summary>
    internal static (ImprovedPrecisionRecallResult Result, NeighbourhoodCounts Counts) ComputeWithCounts(Tensor real, Tensor fake, ImprovedPrecisionRecallOptions? options, bool collectPairs)
    {
        options ??= new ImprovedPrecisionRecallOptions();
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = FeatureMatrix.ToFloat64(real, nameof(real));   // (N, D)
        var y = FeatureMatrix.ToFloat64(fake, nameof(fake));   // (M, D)
        FeatureMatrix.RequireSameDimension(x, nameof(real), y, nameof(fake));
        NeighbourhoodCounts.Validate(options.NearestK, options.ChunkRows, x.shape[0], y.shape[0]);

        var counts = NeighbourhoodCounts.Compute(x, y, options.NearestK, inclusive: true, options.ChunkRows, collectPairs);
        int n = counts.RealInFakeBalls.Length, m = counts.FakeInRealBalls.Length;
        var precision = (double)counts.FakeInRealBalls.Count(c => c > 0) / m;
        var recall = (double)counts.RealInFakeBalls.Count(inside => inside) / n;
        return (new ImprovedPrecisionRecallResult(precision, recall, options.NearestK, n, m), counts);
    }
}
