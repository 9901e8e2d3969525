using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Settings for <see cref="CopyDetection"/>.</summary>
public sealed record CopyDetectionOptions
{
    /// <summary>
    /// α in the rule d_gen ≤ α · median(d_train). 0.1: ten times closer to a training sample than training
    /// samples typically are to each other.
    /// </summary>
    public double Alpha { get; init; } = 0.1;

    /// <summary>Number of closest (generated, training) pairs to return, for showing as images.</summary>
    public int ClosestPairCount { get; init; } = 16;

    /// <summary>Query rows per distance block; memory is about 16 × ChunkRows × N_train bytes.</summary>
    public int ChunkRows { get; init; } = PairwiseDistances.DefaultChunkRows;
}

/// <summary>A generated sample and its nearest training sample.</summary>
/// <param name="GeneratedIndex">Row of the generated feature matrix.</param>
/// <param name="TrainingIndex">Row of the training feature matrix nearest to it.</param>
/// <param name="Distance">Euclidean distance between the two in feature space.</param>
public sealed record CopyPair(int GeneratedIndex, int TrainingIndex, double Distance);

/// <summary>Memorisation report. The copy fraction is lower-is-better, in [0, 1].</summary>
/// <param name="CopyFraction">Fraction of generated samples with d_gen ≤ Threshold.</param>
/// <param name="CopyCount">Number of such samples.</param>
/// <param name="Threshold">α · MedianTrainingDistance.</param>
/// <param name="MedianTrainingDistance">Median over training samples of the distance to their nearest other training sample.</param>
/// <param name="BaselineFraction">Fraction of training samples with d_train ≤ Threshold: what a sampler drawing fresh data would be expected to score (see remarks).</param>
/// <param name="ClosestPairs">The generated samples nearest to the training set, nearest first (ties: lower generated index first).</param>
/// <param name="NearestTrainingDistances">d_gen per generated sample.</param>
/// <param name="NearestTrainingIndices">Index of the nearest training sample per generated sample.</param>
public sealed record CopyDetectionResult(
    double CopyFraction, int CopyCount, double Threshold, double MedianTrainingDistance, double BaselineFraction,
    CopyPair[] ClosestPairs, double[] NearestTrainingDistances, int[] NearestTrainingIndices);

/// <summary>
/// Copy detection: flags generated samples that sit much closer to a training sample than training
/// samples sit to each other, in feature space.
/// </summary>
/// <remarks>
/// d_gen = distance from a generated sample to its nearest training sample; d_train = distance from a
/// training sample to its nearest other training sample. A generated sample is a likely copy when
/// d_gen ≤ α · median(d_train) (inclusive, so exact copies are flagged even when the median is 0).
/// Why this is principled: a sample drawn fresh from the data distribution has a d_gen distributed
/// like d_train (the same nearest-neighbour distance to a set of N versus N − 1 exchangeable points), so
/// <see cref="CopyDetectionResult.BaselineFraction"/> estimates the false-alarm rate of the rule on an
/// ideal generator. For locally uniform data of intrinsic dimension m that rate is about ln 2 · α^m
/// (0.7% at m = 2, below 1e-5 at m = 5 for α = 0.1). Neighbours come from float64 matrix-product
/// distances in blocks; the reported distance of each chosen pair is recomputed directly as ‖g − t‖,
/// so exact copies report 0.
/// </remarks>
public static class CopyDetection
{
    /// <summary>Likely copies among <paramref name="generated"/> (M, D) with respect to <paramref name="training"/> (N, D), N ≥ 2.</summary>
    public static CopyDetectionResult Compute(Tensor training, Tensor generated, CopyDetectionOptions? options = null)
    {
        options ??= new CopyDetectionOptions();
        if (!(options.Alpha >= 0) || !double.IsFinite(options.Alpha)) throw new ArgumentOutOfRangeException(nameof(options), $"Alpha is {options.Alpha}; it must be a finite number ≥ 0.");
        if (options.ClosestPairCount < 0) throw new ArgumentOutOfRangeException(nameof(options), $"ClosestPairCount is {options.ClosestPairCount}; it must be ≥ 0.");
        if (options.ChunkRows < 1) throw new ArgumentOutOfRangeException(nameof(options), $"ChunkRows is {options.ChunkRows}; it must be at least 1.");
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var train = FeatureMatrix.ToFloat64(training, nameof(training), minimumRows: 2); // (N, D)
        var gen = FeatureMatrix.ToFloat64(generated, nameof(generated));                // (M, D)
        FeatureMatrix.RequireSameDimension(train, nameof(training), gen, nameof(generated));

        var trainingDistances = NearestDistances(train, train, excludeSelf: true, options.ChunkRows, out _);
        var generatedDistances = NearestDistances(gen, train, excludeSelf: false, options.ChunkRows, out var nearestIndex);

        var median = Numerics.Median(trainingDistances);
        var threshold = options.Alpha * median;
        var copies = generatedDistances.Count(d => d <= threshold);
        var baseline = (double)trainingDistances.Count(d => d <= threshold) / trainingDistances.Length;
        var closest = Enumerable.Range(0, generatedDistances.Length)
            .OrderBy(i => generatedDistances[i]).ThenBy(i => i)
            .Take(options.ClosestPairCount)
            .Select(i => new CopyPair(i, nearestIndex[i], generatedDistances[i]))
            .ToArray();
        return new CopyDetectionResult((double)copies / generatedDistances.Length, copies, threshold, median, baseline,
            closest, generatedDistances, nearestIndex);
    }

    /// <summary>Distance from each query row to its nearest reference row, recomputed directly for the chosen pair.</summary>
    static double[] NearestDistances(Tensor queries, Tensor reference, bool excludeSelf, int chunkRows, out int[] nearestIndex)
    {
        using var scope = NewDisposeScope();
        var (_, index) = PairwiseDistances.Nearest(queries, reference, excludeSelf, chunkRows); // (Q,)
        var exact = (queries - reference.index_select(0, index)).square().sum(1).sqrt();       // (Q,)
        nearestIndex = index.data<long>().ToArray().Select(i => (int)i).ToArray();
        return exact.data<double>().ToArray();
    }
}
