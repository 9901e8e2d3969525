using GenAudit.Core;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Stability;

/// <summary>Perceptual path length: the mean, the values kept after trimming, and the value per condition.</summary>
/// <param name="Value">Mean of the kept distances (per-condition means averaged for a conditional model). Lower is smoother.</param>
/// <param name="PerCondition">PPL of each condition, or null for an unconditional model.</param>
/// <param name="SampleCount">Distances computed before trimming.</param>
public sealed record PathLengthResult(double Value, IReadOnlyList<double>? PerCondition, int SampleCount);

/// <summary>
/// Perceptual path length (Karras et al. 2019): E[‖f(G(z(t))) − f(G(z(t+ε)))‖² / ε²] with z(t) on the
/// path between z0 and z1 and t ~ U(0, 1), values outside the 1st–99th percentile discarded.
/// </summary>
/// <remarks>
/// f is a caller-given feature extractor; without one it is the flattened output (pixel PPL), which
/// is not comparable with the VGG-based numbers of the paper. Karras et al. slerp between unit vectors
/// because StyleGAN normalises z; GenAudit's generators take unnormalised Gaussian z, so slerp here
/// is Shoemake's sin((1−t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1, which keeps the norm of the endpoints.
/// The percentile trimming follows the paper's code: keep lower-1st ≤ d ≤ higher-99th.
/// </remarks>
public static class PerceptualPathLength
{
    /// <summary>PPL over <paramref name="count"/> paths; for a conditional model, count/C paths per condition.</summary>
    public static PathLengthResult Compute(
        IGenerativeModel model, int count, int batchSize, double epsilon, LatentInterpolation interpolation,
        Generator generator, Func<Tensor, Tensor>? features = null)
    {
        if (model.ConditionCount == 0)
            return new PathLengthResult(TrimmedMean(Sample(model, null, count, batchSize, epsilon, interpolation, generator, features)), null, count);

        var perCondition = new double[model.ConditionCount];
        var perConditionCount = Math.Max(1, (count + model.ConditionCount - 1) / model.ConditionCount);
        for (var c = 0; c < model.ConditionCount; c++)
            perCondition[c] = TrimmedMean(Sample(model, c, perConditionCount, batchSize, epsilon, interpolation, generator, features));
        return new PathLengthResult(perCondition.Average(), perCondition, perConditionCount * model.ConditionCount);
    }

    /// <summary>
    /// The per-path distances ‖f(G(z(t))) − f(G(z(t+ε)))‖² / ε² for given endpoints (N, d), times (N,) and
    /// optional conditions (N,); the interpolation is done in float64.
    /// </summary>
    public static double[] Distances(
        IGenerativeModel model, Tensor z0, Tensor z1, Tensor t, Tensor? conditions, int batchSize, double epsilon,
        LatentInterpolation interpolation, Func<Tensor, Tensor>? features = null)
    {
        var distances = new List<double>((int)z0.shape[0]);
        foreach (var (start, length) in Latents.Batches(z0.shape[0], batchSize))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var a = z0.narrow(0, start, length).to_type(ScalarType.Float64);
            var b = z1.narrow(0, start, length).to_type(ScalarType.Float64);
            var tb = t.narrow(0, start, length).to_type(ScalarType.Float64).unsqueeze(1);   // (b, 1)
            var cb = Latents.Slice(conditions, start, length);
            var from = Interpolate(a, b, tb, interpolation).to_type(ScalarType.Float32).to(model.Device);
            var to = Interpolate(a, b, tb + epsilon, interpolation).to_type(ScalarType.Float32).to(model.Device);
            var fa = Features(model.Generate(from, cb), features);                           // (b, F)
            var fb = Features(model.Generate(to, cb), features);                             // (b, F)
            distances.AddRange(Numerics.ToDoubles((fa - fb).square().sum(1) / (epsilon * epsilon)));
        }
        return distances.ToArray();
    }

    /// <summary>Mean of the values within [lower 1st percentile, higher 99th percentile], NaN-free values only.</summary>
    public static double TrimmedMean(IReadOnlyList<double> values)
    {
        var sorted = values.Where(double.IsFinite).OrderBy(v => v).ToArray();
        if (sorted.Length == 0) return double.NaN;
        // numpy.percentile(..., interpolation='lower' / 'higher') on n values: index q·(n−1)/100, floored or
        // ceiled; in integers so that 0.99·200 cannot round up to index 199.
        var last = (long)sorted.Length - 1;
        var low = sorted[last / 100];
        var high = sorted[(99 * last + 99) / 100];
        return sorted.Where(v => v >= low && v <= high).Average();
    }

    /// <summary>Point at <paramref name="t"/> (B, 1) between rows of <paramref name="z0"/> and <paramref name="z1"/> (B, d).</summary>
    internal static Tensor Interpolate(Tensor z0, Tensor z1, Tensor t, LatentInterpolation interpolation)
    {
        if (interpolation == LatentInterpolation.Lerp) return z0 + t * (z1 - z0);
        var cosine = (z0 * z1).sum(1, keepdim: true) / (z0.norm(1, keepdim: true) * z1.norm(1, keepdim: true)).clamp_min(1e-300);
        var omega = cosine.clamp(-1.0, 1.0).acos();                                          // (B, 1)
        var sine = omega.sin();
        var slerp = ((1 - t) * omega).sin() / sine * z0 + (t * omega).sin() / sine * z1;
        // Nearly parallel endpoints: slerp tends to lerp, and lerp avoids 0/0.
        return where(sine.abs() < 1e-8, z0 + t * (z1 - z0), slerp);
    }

    static double[] Sample(
        IGenerativeModel model, int? condition, int count, int batchSize, double epsilon, LatentInterpolation interpolation,
        Generator generator, Func<Tensor, Tensor>? features)
    {
        using var scope = NewDisposeScope();
        var z0 = Latents.Normal(model, count, generator);                       // (N, d)
        var z1 = Latents.Normal(model, count, generator);                       // (N, d)
        var t = rand(new long[] { count }, ScalarType.Float64, generator: generator); // (N,)
        var conditions = condition is { } c ? full(new long[] { count }, c, ScalarType.Int64).to(model.Device) : null;
        return Distances(model, z0, z1, t, conditions, batchSize, epsilon, interpolation, features);
    }

    static Tensor Features(Tensor output, Func<Tensor, Tensor>? features) =>
        (features is null ? output : features(output)).flatten(1).to_type(ScalarType.Float64);
}
