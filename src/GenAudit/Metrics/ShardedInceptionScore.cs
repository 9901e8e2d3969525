using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>
/// The Inception-style score's sufficient statistics over a range of rows: per split, the rows seen,
/// Σₓ Σ_y p log p and the class sums Σₓ p(y|x). The score of a split is exp(mean Σ p log p − Σ p̄ log p̄)
/// with p̄ the class sums over the count, so partials over disjoint rows merge exactly by addition.
/// </summary>
/// <param name="TotalRows">N, the rows of the whole set; it fixes the split boundaries.</param>
/// <param name="Splits">Splits of the whole set, cut as <see cref="InceptionScore.Compute"/> cuts them.</param>
/// <param name="Classes">Class count K.</param>
/// <param name="Counts">Rows seen per split.</param>
/// <param name="NegativeEntropySums">Σ over the split's rows seen of Σ_y p log p.</param>
/// <param name="ClassSums">Per split, Σ over its rows seen of p(y|x): row-major Splits × K.</param>
/// <param name="Rows">The row ranges [start, end) covered, sorted; merging overlapping ranges is an error.</param>
public sealed record InceptionScorePartial(long TotalRows, int Splits, int Classes, long[] Counts, double[] NegativeEntropySums, double[] ClassSums, long[][] Rows)
{
    /// <summary>The partial sums of rows [firstRow, firstRow + n) of the whole set, given their class probabilities (n, K); rows are checked and renormalised as in <see cref="InceptionScore.Compute"/>.</summary>
    public static InceptionScorePartial Of(Tensor probabilities, long firstRow, long totalRows, int splits = InceptionScore.DefaultSplits)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = FeatureMatrix.ToFloat64(probabilities, nameof(probabilities)); // (n, K)
        var n = p.shape[0];
        var k = (int)p.shape[1];
        if (splits < 1 || splits > totalRows)
            throw new ArgumentOutOfRangeException(nameof(splits), $"splits is {splits}; it must be between 1 and the number of samples ({totalRows}).");
        if (firstRow < 0 || firstRow + n > totalRows)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"rows [{firstRow}, {firstRow + n}) are not inside the {totalRows} rows of the whole set.");
        if (p.min().item<double>() < 0)
            throw new ArgumentException("probabilities: contains negative values; pass softmax(logits), not logits.", nameof(probabilities));
        var rowSums = p.sum(1, keepdim: true);                                  // (n, 1)
        var worst = (rowSums - 1.0).abs().max().item<double>();
        if (worst > 1e-3)
            throw new ArgumentException($"probabilities: a row sums to 1 ± {worst:G3}; rows must be class probabilities (softmax of logits).", nameof(probabilities));
        p = p / rowSums;

        var counts = new long[splits];
        var entropy = new double[splits];
        var classSums = new double[splits * k];
        for (var s = 0; s < splits; s++)
        {
            // Split s is rows [s·N/S, (s+1)·N/S) of the whole set; take its overlap with this range.
            var start = Math.Max(s * totalRows / splits, firstRow);
            var end = Math.Min((s + 1) * totalRows / splits, firstRow + n);
            if (end <= start) continue;
            using var splitScope = NewDisposeScope();
            var part = p.narrow(0, start - firstRow, end - start);              // (rows, K)
            counts[s] = end - start;
            entropy[s] = xlogy(part, part).sum().item<double>();
            Numerics.ToDoubles(part.sum([0])).CopyTo(classSums, s * k);
        }
        return new InceptionScorePartial(totalRows, splits, k, counts, entropy, classSums, [[firstRow, firstRow + n]]);
    }

    /// <summary>The partial sums of the union of two disjoint row ranges of the same whole set.</summary>
    public InceptionScorePartial Merge(InceptionScorePartial other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.TotalRows != TotalRows || other.Splits != Splits || other.Classes != Classes)
            throw new ArgumentException($"partials of {TotalRows} rows, {Splits} splits, {Classes} classes and of {other.TotalRows} rows, {other.Splits} splits, {other.Classes} classes do not come from the same set.");
        var rows = Rows.Concat(other.Rows).OrderBy(r => r[0]).ToArray();
        for (var i = 1; i < rows.Length; i++)
            if (rows[i][0] < rows[i - 1][1])
                throw new ArgumentException($"rows [{rows[i - 1][0]}, {rows[i - 1][1]}) and [{rows[i][0]}, {rows[i][1]}) overlap: a shard was merged twice.");
        return new InceptionScorePartial(TotalRows, Splits, Classes,
            Counts.Zip(other.Counts, (a, b) => a + b).ToArray(),
            NegativeEntropySums.Zip(other.NegativeEntropySums, (a, b) => a + b).ToArray(),
            ClassSums.Zip(other.ClassSums, (a, b) => a + b).ToArray(),
            rows);
    }

    /// <summary>The score once every row has been merged in: per split exp(mean Σ p log p − Σ p̄ log p̄), then mean and population standard deviation over splits.</summary>
    public InceptionScoreResult ToResult()
    {
        var covered = Rows.Sum(r => r[1] - r[0]);
        if (covered != TotalRows)
            throw new InvalidOperationException($"the merged partials cover {covered} of {TotalRows} rows; merge every shard before scoring.");
        var scores = new double[Splits];
        for (var s = 0; s < Splits; s++)
        {
            double marginalTerm = 0;
            for (var c = 0; c < Classes; c++)
            {
                var marginal = ClassSums[s * Classes + c] / Counts[s];
                if (marginal > 0) marginalTerm += marginal * Math.Log(marginal);
            }
            scores[s] = Math.Exp(NegativeEntropySums[s] / Counts[s] - marginalTerm);
        }
        var mean = scores.Average();
        var variance = scores.Select(v => (v - mean) * (v - mean)).Sum() / Splits;
        return new InceptionScoreResult(mean, Math.Sqrt(variance), Splits, scores);
    }
}
