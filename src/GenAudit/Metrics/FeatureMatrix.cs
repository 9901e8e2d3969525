using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Input checks shared by the metrics; every metric computes in float64 on the CPU.</summary>
internal static class FeatureMatrix
{
    /// <summary>
    /// Checks that <paramref name="features"/> is a finite (N, D) floating-point matrix with at least
    /// <paramref name="minimumRows"/> rows and returns a detached, contiguous float64 CPU copy.
    /// </summary>
    internal static Tensor ToFloat64(Tensor features, string name, int minimumRows = 1)
    {
        ArgumentNullException.ThrowIfNull(features, name);
        if (features.dim() != 2)
            throw new ArgumentException($"{name}: expected an (N, D) feature matrix but got shape [{string.Join(", ", features.shape)}]; flatten each sample to one row.", name);
        if (features.dtype is not (ScalarType.Float64 or ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"{name}: expected floating-point features but got {features.dtype}; convert with .to_type(float32).", name);
        if (features.shape[0] < minimumRows)
            throw new ArgumentException($"{name}: {features.shape[0]} samples, but this metric needs at least {minimumRows}.", name);
        if (features.shape[1] < 1)
            throw new ArgumentException($"{name}: features have dimension 0.", name);
        var converted = features.detach().to(ScalarType.Float64, CPU).contiguous(); // (N, D)
        if (!isfinite(converted).all().item<bool>())
            throw new ArgumentException($"{name}: contains NaN or infinite values; check the generator's output or the feature extractor.", name);
        return converted;
    }

    /// <summary>Throws when the two feature matrices have different dimensions.</summary>
    internal static void RequireSameDimension(Tensor a, string aName, Tensor b, string bName)
    {
        if (a.shape[1] != b.shape[1])
            throw new ArgumentException($"{aName} has dimension {a.shape[1]} but {bName} has dimension {b.shape[1]}; both must come from the same feature extractor.");
    }

    /// <summary>Checks that <paramref name="labels"/> is a 1-D integer tensor with values in [0, classCount) and returns them.</summary>
    internal static long[] ToClassIndices(Tensor labels, string name, int classCount)
    {
        ArgumentNullException.ThrowIfNull(labels, name);
        if (labels.dim() != 1)
            throw new ArgumentException($"{name}: expected a 1-D tensor of class indices but got shape [{string.Join(", ", labels.shape)}]; use argmax(1) on class probabilities.", name);
        if (labels.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte))
            throw new ArgumentException($"{name}: expected integer class indices but got {labels.dtype}.", name);
        using var asLong = labels.detach().to(ScalarType.Int64, CPU).contiguous();
        var values = asLong.data<long>().ToArray();
        for (var i = 0; i < values.Length; i++)
            if (values[i] < 0 || values[i] >= classCount)
                throw new ArgumentException($"{name}[{i}] = {values[i]} is outside the {classCount} classes [0, {classCount - 1}].", name);
        return values;
    }
}
