using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Inception-style score. Higher is better; range [1, K] for K classes.</summary>
/// <param name="Mean">Mean over splits of exp(mean KL(p(y|x) ‖ p(y))).</param>
/// <param name="StandardDeviation">Population standard deviation over splits (0 with one split), as in Salimans et al.'s code.</param>
/// <param name="Splits">Number of splits.</param>
/// <param name="SplitScores">The score of each split, in order.</param>
public sealed record InceptionScoreResult(double Mean, double StandardDeviation, int Splits, double[] SplitScores);

/// <summary>
/// Inception Score (Salimans et al. 2016) from class probabilities of a classifier:
/// exp(E_x KL(p(y|x) ‖ p(y))), with p(y) the mean of p(y|x) over the split.
/// </summary>
/// <remarks>
/// The N rows are cut into <c>splits</c> contiguous parts [s·N/splits, (s+1)·N/splits) (integer
/// division, so every sample is used and part sizes differ by at most one; the original code drops the
/// remainder). Rows must be probabilities (apply softmax to logits first): non-negative and summing to 1
/// within 1e-3; they are renormalised to sum exactly 1. 0·log 0 is taken as 0.
/// </remarks>
public static class InceptionScore
{
    /// <summary>Splits of Salimans et al.'s reference code, whose mean ± std over splits is how the score is reported.</summary>
    public const int DefaultSplits = 10;

    /// <summary>Inception-style score of class probabilities (N, K) of any float dtype, over <paramref name="splits"/> parts (default 10; at most N).</summary>
    public static InceptionScoreResult Compute(Tensor probabilities, int splits = DefaultSplits)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = FeatureMatrix.ToFloat64(probabilities, nameof(probabilities)); // (N, K)
        var n = p.shape[0];
        if (splits < 1 || splits > n)
            throw new ArgumentOutOfRangeException(nameof(splits), $"splits is {splits}; it must be between 1 and the number of samples ({n}).");
        if (p.min().item<double>() < 0)
            throw new ArgumentException("probabilities: contains negative values; pass softmax(logits), not logits.", nameof(probabilities));
        var rowSums = p.sum(1, keepdim: true);                                  // (N, 1)
        var worst = (rowSums - 1.0).abs().max().item<double>();
        if (worst > 1e-3)
            throw new ArgumentException($"probabilities: a row sums to 1 ± {worst:G3}; rows must be class probabilities (softmax of logits).", nameof(probabilities));
        p = p / rowSums;

        var scores = new double[splits];
        for (var s = 0; s < splits; s++)
        {
            using var splitScope = NewDisposeScope();
            var start = s * n / splits;
            var part = p.narrow(0, start, (s + 1) * n / splits - start);         // (n_s, K)
            var marginal = part.mean([0], keepdim: true);                         // (1, K)
            var kl = (xlogy(part, part) - xlogy(part, marginal)).sum(1);          // (n_s,)
            scores[s] = Math.Exp(kl.mean().item<double>());
        }
        var mean = scores.Average();
        var variance = scores.Select(v => (v - mean) * (v - mean)).Sum() / splits;
        return new InceptionScoreResult(mean, Math.Sqrt(variance), splits, scores);
    }
}
