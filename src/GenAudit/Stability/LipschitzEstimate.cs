using GenAudit.Core;
using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Stability;

/// <summary>Local Lipschitz estimates of a generator; lower is smoother.</summary>
/// <param name="Mean">Mean over samples of ‖G(z+δ) − G(z)‖ / ‖δ‖ for a small random δ.</param>
/// <param name="Max">Largest such ratio over the samples.</param>
/// <param name="Worst">Largest local Lipschitz constant found by power iteration (the Jacobian's spectral norm), or <paramref name="Max"/> for a non-differentiable model.</param>
/// <param name="WorstMean">Mean over samples of the power-iteration estimate, or <paramref name="Mean"/> for a non-differentiable model.</param>
/// <param name="WorstMethod"><c>powerIteration</c> or <c>randomDirections</c>.</param>
public sealed record LipschitzResult(double Mean, double Max, double Worst, double WorstMean, string WorstMethod);

/// <summary>
/// Local Lipschitz estimate: random-direction difference quotients at ‖δ‖ = ε·√d, and the worst
/// direction found by power iteration on JᵀJ, J the Jacobian of G at z.
/// </summary>
/// <remarks>
/// Power iteration: v ← JᵀJv / ‖JᵀJv‖ from a random unit v; σ = ‖Jv‖ after the last step. Jᵀu is a
/// vector-Jacobian product (autograd.grad of G(z) with grad_outputs u); Jv comes from differentiating
/// Jᵀu, which is linear in u, with respect to u (the double-backward trick), so no finite differences
/// are involved. σ converges from below to the largest singular value of J, the local Lipschitz
/// constant of G at z in the limit of small δ.
/// </remarks>
public static class LipschitzEstimate
{
    /// <summary>Runs both estimates; <paramref name="worstCount"/> samples get the power iteration.</summary>
    public static LipschitzResult Compute(
        IGenerativeModel model, int count, int worstCount, double epsilon, int iterations, int batchSize, Generator generator)
    {
        var ratios = RandomDirectionRatios(model, count, epsilon, batchSize, generator);
        var mean = ratios.Average();
        var max = ratios.Max();
        if (!model.IsDifferentiable) return new LipschitzResult(mean, max, max, mean, "randomDirections");

        using var scope = NewDisposeScope();
        var z = Latents.Normal(model, worstCount, generator);          // (N, d)
        var conditions = Latents.Conditions(model, worstCount, generator);
        var sigmas = new List<double>(worstCount);
        foreach (var (start, length) in Latents.Batches(worstCount, batchSize))
            sigmas.AddRange(PowerIteration(model, z.narrow(0, start, length), Latents.Slice(conditions, start, length), iterations, generator));
        return new LipschitzResult(mean, max, sigmas.Max(), sigmas.Average(), "powerIteration");
    }

    /// <summary>‖G(z+δ) − G(z)‖ / ‖δ‖ per sample with δ uniform on the sphere of radius ε·√d.</summary>
    public static double[] RandomDirectionRatios(IGenerativeModel model, int count, double epsilon, int batchSize, Generator generator)
    {
        using var outer = NewDisposeScope();
        var radius = Latents.Radius(model, epsilon);
        var z = Latents.Normal(model, count, generator);                // (N, d)
        var conditions = Latents.Conditions(model, count, generator);
        var delta = Latents.OnSphere(model, count, radius, generator);  // (N, d)
        var ratios = new List<double>(count);
        foreach (var (start, length) in Latents.Batches(count, batchSize))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var zb = z.narrow(0, start, length);
            var db = delta.narrow(0, start, length);
            var cb = Latents.Slice(conditions, start, length);
            var change = (model.Generate(zb + db, cb).to_type(ScalarType.Float64) - model.Generate(zb, cb).to_type(ScalarType.Float64)).flatten(1);
            ratios.AddRange(Numerics.ToDoubles(change.norm(1) / db.to_type(ScalarType.Float64).norm(1)));
        }
        return ratios.ToArray();
    }

    /// <summary>Per-sample spectral norm of the Jacobian of G at each row of <paramref name="z"/> by power iteration on JᵀJ.</summary>
    public static double[] PowerIteration(IGenerativeModel model, Tensor z, Tensor? conditions, int iterations, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var gradients = enable_grad();
        var input = z.detach().requires_grad_(true);                          // (b, d)
        var output = model.Generate(input, conditions);                        // (b, ...)
        var probe = zeros_like(output).requires_grad_(true);                   // u, (b, ...)
        var vjp = autograd.grad([output], [input], [probe], retain_graph: true, create_graph: true)[0]; // Jᵀu, (b, d)
        var v = Latents.OnSphere(model, z.shape[0], 1.0, generator);           // (b, d)
        Tensor? sigma = null;
        for (var i = 0; i < iterations; i++)
        {
            var jv = autograd.grad([vjp], [probe], [v], retain_graph: true)[0].detach();              // Jv, (b, ...)
            sigma = jv.flatten(1).to_type(ScalarType.Float64).norm(1);                                 // (b,)
            var jtjv = autograd.grad([output], [input], [jv], retain_graph: true)[0].detach();        // JᵀJv, (b, d)
            var norm = jtjv.norm(1, keepdim: true);
            // A zero Jacobian leaves v where it is; σ = 0 is then exact.
            v = where(norm > 0, jtjv / norm.clamp_min(1e-30), v);
        }
        return Numerics.ToDoubles(sigma!);
    }
}
