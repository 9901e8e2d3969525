using static TorchSharp.torch;

namespace GenAudit.Core;

/// <summary>Small numeric helpers shared by the metrics, the stability measures and the explanations.</summary>
public static class Numerics
{
    /// <summary>The values of <paramref name="values"/> (any shape, device and floating or integer type) as a row-major float64 array; gradients are not tracked.</summary>
    public static double[] ToDoubles(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        using var detached = values.detach();
        using var host = detached.to(ScalarType.Float64).cpu().contiguous();
        return host.data<double>().ToArray();
    }

    /// <summary>The median of <paramref name="values"/> (the mean of the two middle values for an even count); NaN when empty.</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return double.NaN;
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : 0.5 * (sorted[middle - 1] + sorted[middle]);
    }
}
