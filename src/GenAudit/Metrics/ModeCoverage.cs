using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Mode coverage of a Gaussian mixture with known modes.</summary>
/// <param name="ModesCaptured">Modes with at least one high-quality sample; [0, ModeCount], higher is better.</param>
/// <param name="ModeCount">Number of modes M.</param>
/// <param name="HighQualityFraction">Fraction of samples closer than the threshold to their nearest mode; [0, 1], higher is better.</param>
/// <param name="ReverseKl">KL(q ‖ uniform) in nats, q the histogram of high-quality samples over modes; [0, ln M], lower is better; null when no sample is high quality.</param>
/// <param name="ModeHistogram">Number of high-quality samples assigned to each mode.</param>
/// <param name="SampleCount">Number of samples N.</param>
public sealed record ModeCoverageResult(int ModesCaptured, int ModeCount, double HighQualityFraction, double? ReverseKl, long[] ModeHistogram, int SampleCount)
{
    /// <summary>False when every sample is assigned a mode and there is no quality threshold (Stacked MNIST); then <see cref="HighQualityFraction"/> is 1 by construction and not reported.</summary>
    public bool QualityMeasured { get; init; } = true;
}

/// <summary>
/// Modes captured, high-quality fraction and reverse KL for mixtures of isotropic Gaussians such as
/// ring8 and grid25, as defined by VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018).
/// </summary>
/// <remarks>
/// Follows the PacGAN code (synthetic_data_experiments, MetricLogger): each sample goes to its nearest
/// mode mean (the lowest mode index wins a tie); it is high quality when that distance is strictly less
/// than <c>thresholdInStandardDeviations × standardDeviation</c> (3 by default); the histogram counts high-quality samples only; a mode is
/// captured when its count is at least 1; the reverse KL is Σ q_i ln(q_i M) over non-empty bins, so
/// empty bins contribute 0 (0 · ln 0 = 0) and the value stays finite.
/// </remarks>
public static class ModeCoverage
{
    /// <summary>Distance, in standard deviations, within which a sample is high quality (VEEGAN, PacGAN).</summary>
    public const double DefaultThresholdInStandardDeviations = 3.0;

    /// <summary>Mode coverage of <paramref name="points"/> (N, D) against mode means (M, D) with common standard deviation <paramref name="standardDeviation"/>.</summary>
    public static ModeCoverageResult Compute(Tensor points, Tensor modeMeans, double standardDeviation, double thresholdInStandardDeviations = DefaultThresholdInStandardDeviations)
    {
        if (!(standardDeviation > 0) || !double.IsFinite(standardDeviation)) throw new ArgumentOutOfRangeException(nameof(standardDeviation), $"standardDeviation is {standardDeviation}; it must be a positive finite number.");
        if (!(thresholdInStandardDeviations > 0) || !double.IsFinite(thresholdInStandardDeviations)) throw new ArgumentOutOfRangeException(nameof(thresholdInStandardDeviations), $"thresholdInStandardDeviations is {thresholdInStandardDeviations}; it must be positive.");
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = FeatureMatrix.ToFloat64(points, nameof(points));         // (N, D)
        var means = FeatureMatrix.ToFloat64(modeMeans, nameof(modeMeans)); // (M, D)
        FeatureMatrix.RequireSameDimension(x, nameof(points), means, nameof(modeMeans));
        int n = (int)x.shape[0], modes = (int)means.shape[0];
        // Direct differences, not the norm expansion: M is small and this keeps distances exact to rounding.
        var squared = (x.unsqueeze(1) - means.unsqueeze(0)).square().sum(2); // (N, M)
        var distances = squared.sqrt().contiguous().data<double>().ToArray();

        var histogram = new long[modes];
        var radius = thresholdInStandardDeviations * standardDeviation;
        for (var i = 0; i < n; i++)
        {
            var best = 0;
            for (var j = 1; j < modes; j++)
                if (distances[i * modes + j] < distances[i * modes + best]) best = j;
            if (distances[i * modes + best] < radius) histogram[best]++;
        }
        var highQuality = histogram.Sum();
        double? reverseKl = null;
        if (highQuality > 0)
        {
            var kl = 0.0;
            foreach (var count in histogram)
                if (count > 0)
                {
                    var q = (double)count / highQuality;
                    kl += q * Math.Log(q * modes);
                }
            reverseKl = Math.Max(0.0, kl);
        }
        return new ModeCoverageResult(histogram.Count(c => c > 0), modes, (double)highQuality / n, reverseKl, histogram, n);
    }
}
