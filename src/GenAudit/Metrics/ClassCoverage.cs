using GenAudit.Core;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Settings for <see cref="ClassCoverage"/>.</summary>
public sealed record ClassCoverageOptions
{
    /// <summary>Share of generated samples a class needs to count as covered (1%: a tenth of a fair share with 10 classes).</summary>
    public double MinimumShare { get; init; } = 0.01;

    /// <summary>Additive smoothing ε of the real distribution, p̃_c = (p_c + ε) / (1 + Kε), so that KL stays finite when a generated class is absent from the real data.</summary>
    public double Epsilon { get; init; } = 1e-6;
}

/// <summary>How the classifier's labels of generated samples spread over the classes.</summary>
/// <param name="ClassesCovered">Classes that receive at least MinimumShare of the generated samples; [0, K], higher is better.</param>
/// <param name="ClassCount">Number of classes K.</param>
/// <param name="KlToReal">KL(q ‖ p̃) in nats between the generated class histogram q and the smoothed real class distribution; [0, ∞), lower is better.</param>
/// <param name="GeneratedCounts">Generated samples predicted as each class.</param>
/// <param name="GeneratedDistribution">GeneratedCounts divided by the sample count (q).</param>
/// <param name="SampleCount">Number of generated samples.</param>
public sealed record ClassCoverageResult(int ClassesCovered, int ClassCount, double KlToReal, long[] GeneratedCounts, double[] GeneratedDistribution, int SampleCount);

/// <summary>Accuracy of a conditional generator: how often the classifier agrees with the requested class. Higher is better; [0, 1].</summary>
/// <param name="Accuracy">Correct / Total.</param>
/// <param name="Correct">Samples whose predicted class equals the requested class.</param>
/// <param name="Total">Number of samples.</param>
public sealed record ConditionAccuracyResult(double Accuracy, long Correct, long Total);

/// <summary>Class coverage of generated images, from a classifier's predicted class indices.</summary>
/// <remarks>
/// A class is covered when count_c / N ≥ MinimumShare. The KL weights by the generated histogram, so a
/// class the generator never produces contributes 0 and a collapsed generator scores KL = −ln p̃_c of its
/// one class (ln 10 ≈ 2.30 for ten balanced classes).
/// </remarks>
public static class ClassCoverage
{
    /// <summary>Counts of each class index in a 1-D integer tensor, for example the real labels.</summary>
    public static long[] Histogram(Tensor labels, int classCount)
    {
        if (classCount < 1) throw new ArgumentOutOfRangeException(nameof(classCount), $"classCount is {classCount}; it must be at least 1.");
        return Count(labels, classCount, nameof(labels));
    }

    /// <summary>
    /// Classes covered and KL to the real class distribution, for predicted class indices (N,) and real
    /// class weights (counts or probabilities, length K).
    /// </summary>
    public static ClassCoverageResult Compute(Tensor predictedClasses, IReadOnlyList<double> realClassWeights, ClassCoverageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(realClassWeights);
        options ??= new ClassCoverageOptions();
        if (!(options.MinimumShare >= 0 && options.MinimumShare <= 1)) throw new ArgumentOutOfRangeException(nameof(options), $"MinimumShare is {options.MinimumShare}; it must lie in [0, 1].");
        if (!(options.Epsilon >= 0) || !double.IsFinite(options.Epsilon)) throw new ArgumentOutOfRangeException(nameof(options), $"Epsilon is {options.Epsilon}; it must be a finite number ≥ 0.");
        var k = realClassWeights.Count;
        if (k < 1) throw new ArgumentException("realClassWeights is empty; pass one weight per class.", nameof(realClassWeights));
        var total = 0.0;
        for (var c = 0; c < k; c++)
        {
            if (!(realClassWeights[c] >= 0) || !double.IsFinite(realClassWeights[c]))
                throw new ArgumentException($"realClassWeights[{c}] is {realClassWeights[c]}; weights must be finite and ≥ 0.", nameof(realClassWeights));
            total += realClassWeights[c];
        }
        if (total <= 0) throw new ArgumentException("realClassWeights sum to 0; pass the real class counts or probabilities.", nameof(realClassWeights));

        var counts = Count(predictedClasses, k, nameof(predictedClasses));
        var n = counts.Sum();
        if (n == 0) throw new ArgumentException("predictedClasses is empty; generate at least one sample.", nameof(predictedClasses));
        var q = counts.Select(c => (double)c / n).ToArray();
        var covered = counts.Count(c => (double)c / n >= options.MinimumShare);
        var kl = 0.0;
        for (var c = 0; c < k; c++)
        {
            if (counts[c] == 0) continue;
            var smoothed = (realClassWeights[c] / total + options.Epsilon) / (1.0 + k * options.Epsilon);
            kl += q[c] * Math.Log(q[c] / smoothed);
        }
        return new ClassCoverageResult(covered, k, Math.Max(0.0, kl), counts, q, (int)n);
    }

    /// <summary>Fraction of generated samples whose predicted class equals the requested class; both (N,) integer tensors in [0, classCount).</summary>
    public static ConditionAccuracyResult ConditionAccuracy(Tensor predictedClasses, Tensor requestedClasses, int classCount)
    {
        if (classCount < 1) throw new ArgumentOutOfRangeException(nameof(classCount), $"classCount is {classCount}; it must be at least 1.");
        TorchRuntime.EnsureLoaded();
        var predicted = FeatureMatrix.ToClassIndices(predictedClasses, nameof(predictedClasses), classCount);
        var requested = FeatureMatrix.ToClassIndices(requestedClasses, nameof(requestedClasses), classCount);
        if (predicted.Length != requested.Length)
            throw new ArgumentException($"predictedClasses has {predicted.Length} entries but requestedClasses has {requested.Length}; pass one requested class per generated sample.");
        if (predicted.Length == 0) throw new ArgumentException("predictedClasses is empty; generate at least one sample.", nameof(predictedClasses));
        long correct = 0;
        for (var i = 0; i < predicted.Length; i++)
            if (predicted[i] == requested[i]) correct++;
        return new ConditionAccuracyResult((double)correct / predicted.Length, correct, predicted.Length);
    }

    static long[] Count(Tensor labels, int classCount, string name)
    {
        TorchRuntime.EnsureLoaded();
        var counts = new long[classCount];
        foreach (var label in FeatureMatrix.ToClassIndices(labels, name, classCount)) counts[label]++;
        return counts;
    }
}
