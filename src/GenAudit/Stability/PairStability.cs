using GenAudit.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Stability;

/// <summary>Repeat pairs: the same z through two separate calls. Exactly 1 on CPU; anything else is a determinism failure.</summary>
/// <param name="Similarity">Mean normalised L2 similarity of the two calls' outputs; exactly 1 when they are bitwise identical.</param>
/// <param name="MaxAbsDiff">Largest absolute difference between the two calls' outputs.</param>
/// <param name="SampleCount">Number of pairs.</param>
public sealed record RepeatResult(double Similarity, double MaxAbsDiff, int SampleCount)
{
    /// <summary>True when both calls gave bitwise identical outputs.</summary>
    public bool Identical => MaxAbsDiff == 0;

    /// <summary>Null when identical, else the determinism failure in words.</summary>
    public string? Failure => Identical ? null :
        $"determinism failure: two calls with the same z differ by up to {MaxAbsDiff:G6} (repeat similarity {Similarity:R})";
}

/// <summary>A stability score of one pair family at one noise level with one similarity.</summary>
/// <param name="Epsilon">Noise level ε; pairs differ by at most ε·√d in latent space.</param>
/// <param name="Similarity">The similarity measured.</param>
/// <param name="Mean">Mean similarity over the pairs: the stability score.</param>
/// <param name="Min">Smallest similarity of any pair.</param>
/// <param name="SampleCount">Number of pairs.</param>
/// <param name="Method">How pairs were found: <c>sphere</c> (local), <c>pga</c> or <c>randomSearch</c> (worst case).</param>
public sealed record PairScore(double Epsilon, SimilarityKind Similarity, double Mean, double Min, int SampleCount, string Method);

/// <summary>
/// Stability(G) = mean over pairs of similarity(G(x_i), G(x_j)) for repeat, local and worst-case pairs,
/// all batched, each batch in its own dispose scope.
/// </summary>
public static class PairStability
{
    /// <summary>Repeat pairs: the same z and condition through two separate <see cref="IGenerativeModel.Generate"/> calls.</summary>
    public static RepeatResult Repeat(IGenerativeModel model, int count, int batchSize, Generator generator)
    {
        using var outer = NewDisposeScope();
        var z = Latents.Normal(model, count, generator);           // (N, d)
        var conditions = Latents.Conditions(model, count, generator);
        var similaritySum = 0.0;
        var maxAbsDiff = 0.0;
        foreach (var (start, length) in Latents.Batches(count, batchSize))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var zb = z.narrow(0, start, length);
            var cb = Latents.Slice(conditions, start, length);
            var first = model.Generate(zb, cb);                    // (b, ...)
            var second = model.Generate(zb, cb);                   // (b, ...)
            similaritySum += Similarity.NormalizedL2(first, second).sum().item<double>();
            maxAbsDiff = Math.Max(maxAbsDiff, MaxAbsDiff(first, second));
        }
        return new RepeatResult(maxAbsDiff == 0 ? 1.0 : similaritySum / count, maxAbsDiff, count);
    }

    /// <summary>
    /// Local pairs: x_j = x_i + δ, δ uniform on the sphere of radius ε·√d. All ε share the same z and
    /// directions, so the curve over ε is not blurred by resampling.
    /// </summary>
    public static IReadOnlyList<PairScore> Local(
        IGenerativeModel model, IReadOnlyList<double> epsilons, IReadOnlyList<SimilarityKind> similarities,
        int count, int batchSize, Generator generator, Func<Tensor, Tensor>? features = null)
    {
        using var outer = NewDisposeScope();
        var z = Latents.Normal(model, count, generator);           // (N, d)
        var conditions = Latents.Conditions(model, count, generator);
        var unit = Latents.OnSphere(model, count, 1.0, generator); // (N, d)
        var values = new List<double>[epsilons.Count, similarities.Count];
        for (var e = 0; e < epsilons.Count; e++)
            for (var s = 0; s < similarities.Count; s++) values[e, s] = new List<double>(count);

        foreach (var (start, length) in Latents.Batches(count, batchSize))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var zb = z.narrow(0, start, length);
            var cb = Latents.Slice(conditions, start, length);
            var reference = model.Generate(zb, cb);                // (b, ...)
            for (var e = 0; e < epsilons.Count; e++)
            {
                var radius = Latents.Radius(model, epsilons[e]);
                var perturbed = model.Generate(zb + radius * unit.narrow(0, start, length), cb); // (b, ...)
                for (var s = 0; s < similarities.Count; s++)
                    values[e, s].AddRange(Similarity.ToDoubles(Similarity.Compute(similarities[s], reference, perturbed, features)));
            }
        }

        var scores = new List<PairScore>();
        for (var e = 0; e < epsilons.Count; e++)
            for (var s = 0; s < similarities.Count; s++)
                scores.Add(new PairScore(epsilons[e], similarities[s], values[e, s].Average(), values[e, s].Min(), count, "sphere"));
        return scores;
    }

    /// <summary>
    /// Worst-case pairs: for each sample, the δ with ‖δ‖ ≤ ε·√d that minimises the similarity, found by
    /// projected gradient descent on the similarity (L2-normalised steps of length factor·radius/steps,
    /// tangential to the sphere where the descent direction points out of the ball,
    /// <see cref="StabilityOptions.WorstCaseRestarts"/> random starts on the sphere, the lowest value
    /// seen kept), or by random search on the sphere for a non-differentiable model or feature extractor.
    /// </summary>
    public static IReadOnlyList<PairScore> WorstCase(
        IGenerativeModel model, IReadOnlyList<double> epsilons, IReadOnlyList<SimilarityKind> similarities,
        StabilityOptions options, Generator generator, Func<Tensor, Tensor>? features = null)
    {
        var count = options.WorstCaseSampleCount;
        using var outer = NewDisposeScope();
        var z = Latents.Normal(model, count, generator);           // (N, d)
        var conditions = Latents.Conditions(model, count, generator);
        var scores = new List<PairScore>();
        foreach (var epsilon in epsilons)
            foreach (var similarity in similarities)
            {
                var values = new List<double>(count);
                var method = "pga";
                foreach (var (start, length) in Latents.Batches(count, options.BatchSize))
                {
                    var (batch, used) = WorstCaseBatch(model, z.narrow(0, start, length), Latents.Slice(conditions, start, length),
                        Latents.Radius(model, epsilon), similarity, options, generator, features);
                    values.AddRange(batch);
                    if (used != "pga") method = used;
                }
                scores.Add(new PairScore(epsilon, similarity, values.Average(), values.Min(), count, method));
            }
        return scores;
    }

    /// <summary>Per-sample worst similarity within the ball of <paramref name="radius"/> around each z, and the method used.</summary>
    internal static (double[] Values, string Method) WorstCaseBatch(
        IGenerativeModel model, Tensor z, Tensor? conditions, double radius, SimilarityKind similarity,
        StabilityOptions options, Generator generator, Func<Tensor, Tensor>? features)
    {
        using var scope = NewDisposeScope();
        Tensor reference;
        using (no_grad()) reference = model.Generate(z, conditions).detach(); // (b, ...)

        if (model.IsDifferentiable && Descend(model, z, conditions, reference, radius, similarity, options, generator, features) is { } found)
            return (found, "pga");

        var budget = options.RandomSearchBudget ?? options.WorstCaseSteps * options.WorstCaseRestarts;
        var best = Enumerable.Repeat(double.PositiveInfinity, (int)z.shape[0]).ToArray();
        for (var k = 0; k < budget; k++)
        {
            using var inner = NewDisposeScope();
            using var noGrad = no_grad();
            var delta = Latents.OnSphere(model, z.shape[0], radius, generator);
            Minimum(best, Similarity.ToDoubles(Similarity.Compute(similarity, reference, model.Generate(z + delta, conditions), features)));
        }
        return (best, "randomSearch");
    }

    // Projected gradient descent on the similarity; null when the similarity carries no gradient to δ.
    static double[]? Descend(
        IGenerativeModel model, Tensor z, Tensor? conditions, Tensor reference, double radius, SimilarityKind similarity,
        StabilityOptions options, Generator generator, Func<Tensor, Tensor>? features)
    {
        var stepLength = options.WorstCaseStepFactor * radius / options.WorstCaseSteps;
        var best = Enumerable.Repeat(double.PositiveInfinity, (int)z.shape[0]).ToArray();
        using var gradients = enable_grad();
        for (var restart = 0; restart < options.WorstCaseRestarts; restart++)
        {
            using var scope = NewDisposeScope();
            var delta = Latents.OnSphere(model, z.shape[0], radius, generator); // (b, d)
            for (var step = 0; ; step++)
            {
                using var stepScope = NewDisposeScope();
                var leaf = delta.detach().requires_grad_(true);
                var values = Similarity.Compute(similarity, reference, model.Generate(z + leaf, conditions), features); // (b,)
                Minimum(best, Similarity.ToDoubles(values));
                if (step == options.WorstCaseSteps) break;
                if (!values.requires_grad) return null;
                var descent = -autograd.grad([values.sum()], [leaf])[0].nan_to_num(0, 0, 0);  // (b, d)
                // On the sphere, a descent direction pointing outwards would be undone by the projection and
                // leave only a sliver of movement along the sphere; keep its tangential part instead.
                var current = leaf.detach();
                var length = current.norm(1, keepdim: true);                                      // (b, 1)
                var normal = current / length.clamp_min(1e-12);
                var outward = (descent * normal).sum(1, keepdim: true);                           // (b, 1)
                var onBoundary = (length >= radius * (1 - 1e-4)) & (outward > 0);
                descent = where(onBoundary, descent - outward * normal, descent);
                var direction = descent / descent.norm(1, keepdim: true).clamp_min(1e-12);
                var moved = current + stepLength * direction;
                var norm = moved.norm(1, keepdim: true).clamp_min(1e-12);
                delta = (moved * (radius / norm).clamp_max(1.0)).MoveToOuterDisposeScope();  // projection onto the ball
            }
        }
        return best;
    }

    static void Minimum(double[] best, double[] values)
    {
        for (var i = 0; i < best.Length; i++)
            if (values[i] < best[i] || double.IsNaN(values[i])) best[i] = values[i];
    }

    internal static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var difference = (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs();
        if (difference.isnan().any().item<bool>()) return double.NaN;
        return difference.numel() == 0 ? 0 : difference.max().item<double>();
    }
}
