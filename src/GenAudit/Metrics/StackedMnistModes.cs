using GenAudit.Data;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>
/// Modes covered of Stacked MNIST's 1,000 and the KL divergence of the generated mode histogram to uniform, as in
/// VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018): each channel of a sample is classified by an MNIST
/// classifier, the three digits give its mode, and a mode is covered when at least one sample falls in it.
/// </summary>
public static class StackedMnistModes
{
    /// <summary>
    /// Counts <paramref name="modes"/> (n,) int64 in [0, 1000): modes covered (histogram count ≥ 1) and
    /// KL(q ‖ uniform) = Σ q_m ln(1000 q_m) over non-empty modes, in nats, in [0, ln 1000]; lower is better.
    /// </summary>
    public static ModeCoverageResult Compute(Tensor modes)
    {
        if (modes.dim() != 1 || modes.shape[0] < 1) throw new ArgumentException($"modes must be (n,) with n ≥ 1, got [{string.Join(", ", modes.shape)}]", nameof(modes));
        var values = modes.to(ScalarType.Int64).cpu().data<long>().ToArray();
        var histogram = new long[StackedMnist.ModeCount];
        foreach (var mode in values)
        {
            if (mode is < 0 or >= StackedMnist.ModeCount) throw new ArgumentOutOfRangeException(nameof(modes), mode, $"a Stacked MNIST mode is in [0, {StackedMnist.ModeCount})");
            histogram[mode]++;
        }
        double kl = 0;
        foreach (var count in histogram)
            if (count > 0)
            {
                var q = (double)count / values.Length;
                kl += q * Math.Log(q * StackedMnist.ModeCount);
            }
        return new ModeCoverageResult(histogram.Count(c => c > 0), StackedMnist.ModeCount, 1.0, Math.Max(0.0, kl), histogram, values.Length) { QualityMeasured = false };
    }

    /// <summary>
    /// The mode of each image from per-channel digit probabilities: <paramref name="channelProbabilities"/> (n, 3, 10)
    /// → 100·argmax₀ + 10·argmax₁ + argmax₂ (n,).
    /// </summary>
    public static Tensor FromChannelProbabilities(Tensor channelProbabilities)
    {
        var digits = channelProbabilities.argmax(2);                                // (n, 3)
        return digits.select(1, 0) * 100 + digits.select(1, 1) * 10 + digits.select(1, 2);   // (n,)
    }
}
