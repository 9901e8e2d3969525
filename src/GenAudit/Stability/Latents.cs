using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Stability;

/// <summary>Seeded sampling in latent space shared by the stability measurements.</summary>
internal static class Latents
{
    /// <summary>z ~ N(0, I), (count, d) float32 on the model's device.</summary>
    public static Tensor Normal(IGenerativeModel model, long count, Generator generator) =>
        randn(new[] { count, (long)model.LatentSize }, ScalarType.Float32, generator: generator).to(model.Device);

    /// <summary>Directions uniform on the sphere of radius <paramref name="radius"/>: normalised Gaussians, (count, d).</summary>
    public static Tensor OnSphere(IGenerativeModel model, long count, double radius, Generator generator)
    {
        using var scope = NewDisposeScope();
        var g = randn(new[] { count, (long)model.LatentSize }, ScalarType.Float64, generator: generator); // (count, d)
        var direction = g / g.norm(1, keepdim: true).clamp_min(1e-300);
        return (direction * radius).to_type(ScalarType.Float32).to(model.Device).MoveToOuterDisposeScope();
    }

    /// <summary>Conditions uniform over the model's classes, (count,) int64; null for an unconditional model.</summary>
    public static Tensor? Conditions(IGenerativeModel model, long count, Generator generator) =>
        model.ConditionCount > 0
            ? randint(0, model.ConditionCount, new[] { count }, ScalarType.Int64, generator: generator).to(model.Device)
            : null;

    /// <summary>Radius ε·√d of the perturbation ball for noise level ε.</summary>
    public static double Radius(IGenerativeModel model, double epsilon) => epsilon * Math.Sqrt(model.LatentSize);

    /// <summary>Splits <paramref name="count"/> into consecutive (start, length) batches.</summary>
    public static IEnumerable<(long Start, long Length)> Batches(long count, int batchSize)
    {
        for (long start = 0; start < count; start += batchSize)
            yield return (start, Math.Min(batchSize, count - start));
    }

    /// <summary>Rows [start, start+length) of an optional condition tensor.</summary>
    public static Tensor? Slice(Tensor? conditions, long start, long length) =>
        conditions?.narrow(0, start, length);
}
