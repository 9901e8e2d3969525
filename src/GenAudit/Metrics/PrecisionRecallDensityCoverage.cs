using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Settings for <see cref="PrecisionRecallDensityCoverage"/>.</summary>
public sealed record PrecisionRecallDensityCoverageOptions
{
    /// <summary>k of the k-NN balls; 5 in Naeem et al. 2020.</summary>
    public int NearestK { get; init; } = 5;

    /// <summary>Real rows per distance block; memory is about 8 × 3 × ChunkRows × max(N, M) bytes (1024 rows vs 10,000 samples: about 250 MB).</summary>
    public int ChunkRows { get; init; } = PairwiseDistances.DefaultChunkRows;
}

/// <summary>Precision, recall, density and coverage. Higher is better for all four.</summary>
/// <param name="Precision">Fraction of generated samples inside at least one real k-NN ball; [0, 1].</param>
/// <param name="Recall">Fraction of real samples inside at least one generated k-NN ball; [0, 1].</param>
/// <param name="Density">Mean number of real k-NN balls containing a generated sample, divided by k; [0, N_real / k], about 1 when the distributions match.</param>
/// <param name="Coverage">Fraction of real samples whose k-NN ball contains at least one generated sample; [0, 1].</param>
/// <param name="NearestK">k used for the balls.</param>
/// <param name="RealCount">Number of real samples.</param>
/// <param name="FakeCount">Number of generated samples.</param>
public sealed record PrecisionRecallDensityCoverageResult(double Precision, double Recall, double Density, double Coverage, int NearestK, int RealCount, int FakeCount);

/// <summary>
/// Precision, recall, density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity
/// Metrics for Generative Models"), with k-NN balls around each sample in feature space.
/// </summary>
/// <remarks>
/// As in the authors' code, "inside" is strict: distance &lt; radius. A ball's radius is the distance to
/// the k-th nearest OTHER sample of the same set (the sample itself is excluded by index; exact
/// duplicates count as neighbours at distance 0, so a point with k duplicates has radius 0 and its ball
/// contains nothing). Distances are computed in float64 blocks of real rows with matrix products.
/// </remarks>
public static class PrecisionRecallDensityCoverage
{
    /// <summary>PRDC between real and generated feature matrices (N, D) of any float dtype; both sets need more than k samples.</summary>
    public static PrecisionRecallDensityCoverageResult Compute(Tensor real, Tensor fake, PrecisionRecallDensityCoverageOptions? options = null) =>
        ComputeWithCounts(real, fake, options, collectPairs: false).Result;

    /// <summary>PRDC and the counts behind it (with the ball memberships when <paramref name="collectPairs"/>), for the bootstrap.</summary>
    internal static (PrecisionRecallDensityCoverageResult Result, NeighbourhoodCounts Counts) ComputeWithCounts(Tensor real, Tensor fake, PrecisionRecallDensityCoverageOptions? options, bool collectPairs)
    {
        options ??= new PrecisionRecallDensityCoverageOptions();
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = FeatureMatrix.ToFloat64(real, nameof(real));   // (N, D)
        var y = FeatureMatrix.ToFloat64(fake, nameof(fake));   // (M, D)
        FeatureMatrix.RequireSameDimension(x, nameof(real), y, nameof(fake));
        NeighbourhoodCounts.Validate(options.NearestK, options.ChunkRows, x.shape[0], y.shape[0]);

        var counts = NeighbourhoodCounts.Compute(x, y, options.NearestK, inclusive: false, options.ChunkRows, collectPairs);
        int n = counts.RealCovered.Length, m = counts.FakeInRealBalls.Length;
        var precision = (double)counts.FakeInRealBalls.Count(c => c > 0) / m;
        var recall = (double)counts.RealInFakeBalls.Count(inside => inside) / n;
        var density = (double)counts.FakeInRealBalls.Sum() / ((double)options.NearestK * m);
        var coverage = (double)counts.RealCovered.Count(covered => covered) / n;
        return (new PrecisionRecallDensityCoverageResult(precision, recall, density, coverage, options.NearestK, n, m), counts);
    }
}
