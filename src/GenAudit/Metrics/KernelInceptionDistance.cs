using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Settings for <see cref="KernelInceptionDistance"/>; the defaults follow Bińkowski et al. 2018.</summary>
public sealed record KernelInceptionDistanceOptions
{
    /// <summary>Number of random subset pairs the MMD² is averaged over.</summary>
    public int SubsetCount { get; init; } = 100;

    /// <summary>Samples per subset; min(SubsetSize, N_real, N_fake) is used when the sets are smaller.</summary>
    public int SubsetSize { get; init; } = 1000;

    /// <summary>Seed of the SplitMix64 stream that draws the subsets; the same seed gives the same subsets everywhere.</summary>
    public ulong Seed { get; init; }
}

/// <summary>KID: mean and standard deviation over subsets of the unbiased MMD². Lower is better; 0 for identical distributions, can be slightly negative.</summary>
/// <param name="Mean">Mean of the per-subset unbiased MMD² estimates.</param>
/// <param name="StandardDeviation">Population standard deviation (divisor = SubsetCount) of the per-subset estimates, as in the reference code; null when every subset is the whole sample, where the subsets do not vary.</param>
/// <param name="SubsetCount">Number of subsets used: 1 when every subset is the whole sample.</param>
/// <param name="SubsetSize">Samples per subset actually used.</param>
/// <param name="SubsetValues">The per-subset MMD² estimates, in draw order.</param>
public sealed record KernelInceptionDistanceResult(double Mean, double? StandardDeviation, int SubsetCount, int SubsetSize, double[] SubsetValues);

/// <summary>
/// Kernel Inception Distance (Bińkowski et al. 2018): unbiased MMD² with the cubic polynomial kernel
/// k(x, y) = (x·y / D + 1)³, averaged over seeded random subsets.
/// </summary>
/// <remarks>
/// Subset s draws SubsetSize real indices, then SubsetSize fake indices, each without replacement, from
/// one SplitMix64 stream seeded with <see cref="KernelInceptionDistanceOptions.Seed"/>; subsets are
/// independent of each other (an index can appear in several subsets). When both sets have at most
/// SubsetSize samples every subset is the whole of both sets, so the MMD² is computed once and no
/// standard deviation is reported (over 100 reorderings of the same sets it would be rounding noise,
/// about 1e-13).
/// </remarks>
public static class KernelInceptionDistance
{
    /// <summary>KID between real and generated feature matrices (N, D) of any float dtype.</summary>
    public static KernelInceptionDistanceResult Compute(Tensor real, Tensor fake, KernelInceptionDistanceOptions? options = null)
    {
        options ??= new KernelInceptionDistanceOptions();
        if (options.SubsetCount < 1) throw new ArgumentOutOfRangeException(nameof(options), $"SubsetCount is {options.SubsetCount}; it must be at least 1.");
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (x, y, m) = Prepare(real, fake, options);
        if (m == x.shape[0] && m == y.shape[0])
        {
            var whole = UnbiasedMmdSquared(x, y);
            return new KernelInceptionDistanceResult(whole, null, 1, m, [whole]);
        }
        var random = new SplitMix64(options.Seed);
        var values = new double[options.SubsetCount];
        for (var s = 0; s < options.SubsetCount; s++)
        {
            using var subsetScope = NewDisposeScope();
            var realIndex = tensor(random.SampleWithoutReplacement(x.shape[0], m), ScalarType.Int64);
            var fakeIndex = tensor(random.SampleWithoutReplacement(y.shape[0], m), ScalarType.Int64);
            values[s] = UnbiasedMmdSquared(x.index_select(0, realIndex), y.index_select(0, fakeIndex));
        }
        var mean = values.Average();
        var variance = values.Select(v => (v - mean) * (v - mean)).Sum() / values.Length;
        return new KernelInceptionDistanceResult(mean, Math.Sqrt(variance), options.SubsetCount, m, values);
    }

    /// <summary>
    /// The checks and conversions every KID computation starts with (also <see cref="ShardedKernelInceptionDistance.SubsetValues"/>):
    /// float64 feature matrices (N, D) and (M, D) of the same D, and the subset size m = min(SubsetSize, N, M).
    /// </summary>
    internal static (Tensor X, Tensor Y, int SubsetSize) Prepare(Tensor real, Tensor fake, KernelInceptionDistanceOptions options)
    {
        if (options.SubsetSize < 2) throw new ArgumentOutOfRangeException(nameof(options), $"SubsetSize is {options.SubsetSize}; the unbiased MMD² needs at least 2.");
        var x = FeatureMatrix.ToFloat64(real, nameof(real), minimumRows: 2); // (N, D)
        var y = FeatureMatrix.ToFloat64(fake, nameof(fake), minimumRows: 2); // (M, D)
        FeatureMatrix.RequireSameDimension(x, nameof(real), y, nameof(fake));
        return (x, y, (int)Math.Min(options.SubsetSize, Math.Min(x.shape[0], y.shape[0])));
    }

    /// <summary>Unbiased MMD² of two equal-size samples: off-diagonal means of k(x,x') and k(y,y') minus twice the mean of k(x,y).</summary>
    static double UnbiasedMmdSquared(Tensor x, Tensor y)
    {
        var m = (double)x.shape[0];
        var d = (double)x.shape[1];
        var kxx = x.mm(x.t()).div_(d).add_(1.0).pow_(3);   // (m, m)
        var kyy = y.mm(y.t()).div_(d).add_(1.0).pow_(3);   // (m, m)
        var kxy = x.mm(y.t()).div_(d).add_(1.0).pow_(3);   // (m, m)
        var sumXX = kxx.sum().item<double>() - kxx.diagonal().sum().item<double>();
        var sumYY = kyy.sum().item<double>() - kyy.diagonal().sum().item<double>();
        var sumXY = kxy.sum().item<double>();
        return (sumXX + sumYY) / (m * (m - 1)) - 2.0 * sumXY / (m * m);
    }
}
