using GenAudit.Core;
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
public sealed record PairScore(double Epsilon, SimilarityKind Similarity, double Mean, double Min, int SampleCount, string Method)
{
    /// <summary>The similarity of every pair, in sample order (the bootstrap of the score resamples them).</summary>
    public IReadOnlyList<double> Values { get; init; } = [];
}

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
                    values[e, s].AddRange(Numerics.ToDoubles(Similarity.Compute(similarities[s], reference, perturbed, features)));
            }
        }

        var scores = new List<PairScore>();
        for (var e = 0; e < epsilons.Count; e++)
            for (var s = 0; s < similarities.Count; s++)
                scores.Add(new PairScore(epsilons[e], similarities[s], values[e, s].Average(), values[e, s].Min(), count, "sphere") { Values = values[e, s].ToArray() });
        return scores;
    }

    /// <summary>
    /// Worst-case pairs: for each sample and ε, one search for the δ with ‖δ‖ ≤ ε·√d that minimises
    /// the search similarity (<see cref="StabilityOptions.WorstCaseSearchSimilarity"/>, normalised L2 by
    /// default), and every similarity scored at each δ the search visits; each similarity reports the
    /// lowest value seen. The search is projected gradient descent (L2-normalised steps of length
    /// factor·radius/steps, tangential to the sphere where the descent direction points out of the ball,
    /// <see cref="StabilityOptions.WorstCaseRestarts"/> random starts on the sphere), or random search on
    /// the sphere for a non-differentiable model or search similarity.
    /// </summary>
    public static IReadOnlyList<PairScore> WorstCase(
        IGenerativeModel model, IReadOnlyList<double> epsilons, IReadOnlyList<SimilarityKind> similarities,
        StabilityOptions options, Generator generator, Func<Tensor, Tensor>? features = null) =>
        WorstCaseSearch(model, epsilons, similarities, options, generator, features).Scores;

    /// <summary>
    /// <see cref="WorstCase"/> with the <see cref="StabilityOptions.WorstCaseExampleCount"/> worst pairs
    /// of each ε (lowest search similarity) kept for display.
    /// </summary>
    public static WorstCaseResult WorstCaseSearch(
        IGenerativeModel model, IReadOnlyList<double> epsilons, IReadOnlyList<SimilarityKind> similarities,
        StabilityOptions options, Generator generator, Func<Tensor, Tensor>? features = null)
    {
        var count = options.WorstCaseSampleCount;
        var search = options.WorstCaseSearchSimilarity;
        using var outer = NewDisposeScope();
        var z = Latents.Normal(model, count, generator);           // (N, d)
        var conditions = Latents.Conditions(model, count, generator);
        var scores = new List<PairScore>();
        var examples = new List<WorstCasePair>();
        foreach (var epsilon in epsilons)
        {
            using var epsilonScope = NewDisposeScope();
            var values = similarities.Select(_ => new List<double>(count)).ToArray();
            var searchValues = new List<double>(count);
            var bestDeltas = new List<Tensor>();
            var method = "pga";
            foreach (var (start, length) in Latents.Batches(count, options.BatchSize))
            {
                var batch = WorstCaseBatch(model, z.narrow(0, start, length), Latents.Slice(conditions, start, length),
                    Latents.Radius(model, epsilon), similarities, options, generator, features);
                for (var s = 0; s < similarities.Count; s++) values[s].AddRange(batch.Values[s]);
                searchValues.AddRange(batch.SearchValues);
                bestDeltas.Add(batch.BestDelta);
                if (batch.Method != "pga") method = batch.Method;
            }
            for (var s = 0; s < similarities.Count; s++)
                scores.Add(new PairScore(epsilon, similarities[s], values[s].Average(), values[s].Min(), count, method) { Values = values[s].ToArray() });
            examples.AddRange(Examples(model, z, conditions, cat(bestDeltas, 0), searchValues, epsilon, search, options.WorstCaseExampleCount));
            foreach (var delta in bestDeltas) delta.Dispose();
        }
        return new WorstCaseResult(scores, examples);
    }

    /// <summary>The outputs at z and z + δ of the samples with the lowest search similarity, worst first.</summary>
    static IEnumerable<WorstCasePair> Examples(
        IGenerativeModel model, Tensor z, Tensor? conditions, Tensor bestDelta, List<double> searchValues, double epsilon, SimilarityKind search, int take)
    {
        if (take <= 0) return [];
        var chosen = searchValues.Select((v, i) => (v, i)).OrderBy(p => p.v).Take(take).ToArray();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var index = tensor(chosen.Select(p => (long)p.i).ToArray()).to(z.device);
        var zb = z.index_select(0, index);                                   // (k, d)
        var cb = conditions?.index_select(0, index);
        var original = model.Generate(zb, cb).to_type(ScalarType.Float32).cpu();                               // (k, ...)
        var perturbed = model.Generate(zb + bestDelta.index_select(0, index), cb).to_type(ScalarType.Float32).cpu(); // (k, ...)
        return chosen.Select((p, k) => new WorstCasePair(epsilon, search, p.v,
            original[k].contiguous().data<float>().ToArray(), perturbed[k].contiguous().data<float>().ToArray(), model.OutputShape)).ToArray();
    }

    /// <summary>
    /// One batch of the worst-case search within the ball of <paramref name="radius"/> around each z:
    /// per similarity the lowest value seen for each sample, the search similarity's values at the best
    /// δ found, that δ (b, d), and the method used.
    /// </summary>
    internal static WorstCaseBatchResult WorstCaseBatch(
        IGenerativeModel model, Tensor z, Tensor? conditions, double radius, IReadOnlyList<SimilarityKind> similarities,
        StabilityOptions options, Generator generator, Func<Tensor, Tensor>? features)
    {
        using var scope = NewDisposeScope();
        Tensor reference;
        using (no_grad()) reference = model.Generate(z, conditions).detach(); // (b, ...)
        var search = options.WorstCaseSearchSimilarity;

        if (model.IsDifferentiable)
        {
            using var tracker = new WorstCaseTracker(similarities, search, reference, features, z);
            if (Descend(model, z, conditions, reference, radius, search, options, generator, features, tracker))
                return tracker.Result("pga");
        }

        using var random = new WorstCaseTracker(similarities, search, reference, features, z);
        var budget = options.RandomSearchBudget ?? options.WorstCaseSteps * options.WorstCaseRestarts;
        for (var k = 0; k < budget; k++)
        {
            using var inner = NewDisposeScope();
            using var noGrad = no_grad();
            var delta = Latents.OnSphere(model, z.shape[0], radius, generator);
            var output = model.Generate(z + delta, conditions);
            random.Record(delta, output, Similarity.Compute(search, reference, output, features));
        }
        return random.Result("randomSearch");
    }

    // Projected gradient descent on the search similarity; false when it carries no gradient to δ.
    static bool Descend(
        IGenerativeModel model, Tensor z, Tensor? conditions, Tensor reference, double radius, SimilarityKind search,
        StabilityOptions options, Generator generator, Func<Tensor, Tensor>? features, WorstCaseTracker tracker)
    {
        var stepLength = options.WorstCaseStepFactor * radius / options.WorstCaseSteps;
        using var gradients = enable_grad();
        for (var restart = 0; restart < options.WorstCaseRestarts; restart++)
        {
            using var scope = NewDisposeScope();
            var delta = Latents.OnSphere(model, z.shape[0], radius, generator); // (b, d)
            for (var step = 0; ; step++)
            {
                using var stepScope = NewDisposeScope();
                var leaf = delta.detach().requires_grad_(true);
                var output = model.Generate(z + leaf, conditions);                                 // (b, ...)
                var values = Similarity.Compute(search, reference, output, features);             // (b,)
                tracker.Record(leaf.detach(), output.detach(), values.detach());
                if (step == options.WorstCaseSteps) break;
                if (!values.requires_grad) return false;
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
        return true;
    }

    /// <summary>Lowest value per sample of every similarity over the visited δ, and the δ with the lowest search similarity.</summary>
    sealed class WorstCaseTracker : IDisposable
    {
        readonly IReadOnlyList<SimilarityKind> similarities;
        readonly SimilarityKind search;
        readonly Tensor reference;
        readonly Func<Tensor, Tensor>? features;
        readonly double[][] lowest;
        readonly double[] searchLowest;
        Tensor? bestDelta; // detached from dispose scopes: it outlives the step that found it

        public WorstCaseTracker(IReadOnlyList<SimilarityKind> similarities, SimilarityKind search, Tensor reference, Func<Tensor, Tensor>? features, Tensor z)
        {
            this.similarities = similarities;
            this.search = search;
            this.reference = reference;
            this.features = features;
            var count = (int)z.shape[0];
            lowest = similarities.Select(_ => Enumerable.Repeat(double.PositiveInfinity, count).ToArray()).ToArray();
            searchLowest = Enumerable.Repeat(double.PositiveInfinity, count).ToArray();
            bestDelta = zeros_like(z).DetachFromDisposeScope();                            // (b, d)
        }

        /// <summary>Scores the outputs at <paramref name="delta"/> with every similarity; the search similarity's values are given.</summary>
        public void Record(Tensor delta, Tensor output, Tensor searchValues)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var current = Numerics.ToDoubles(searchValues);
            var improved = current.Select((v, i) => v < searchLowest[i] || double.IsNaN(v)).ToArray();
            Minimum(searchLowest, current);
            var mask = tensor(improved).to(delta.device).unsqueeze(1);                    // (b, 1)
            var kept = where(mask, delta, bestDelta!).DetachFromDisposeScope();
            bestDelta!.Dispose();
            bestDelta = kept;
            for (var s = 0; s < similarities.Count; s++)
                Minimum(lowest[s], similarities[s] == search ? current : Numerics.ToDoubles(Similarity.Compute(similarities[s], reference, output, features)));
        }

        /// <summary>The result; the caller owns (and disposes) its <see cref="WorstCaseBatchResult.BestDelta"/>.</summary>
        public WorstCaseBatchResult Result(string method)
        {
            var delta = bestDelta!;
            bestDelta = null;
            return new(lowest, searchLowest, delta, method);
        }

        public void Dispose() => bestDelta?.Dispose();
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

/// <summary>One worst-case batch: per similarity the lowest values, the search similarity's lowest values, the δ that reached them (b, d, owned by the caller), the method.</summary>
internal sealed record WorstCaseBatchResult(double[][] Values, double[] SearchValues, Tensor BestDelta, string Method);

/// <summary>The worst-case scores and the worst pairs kept for display.</summary>
/// <param name="Scores">One score per ε and similarity.</param>
/// <param name="Pairs">The worst pairs of each ε, worst first.</param>
public sealed record WorstCaseResult(IReadOnlyList<PairScore> Scores, IReadOnlyList<WorstCasePair> Pairs);

/// <summary>A worst-case pair kept for display: the outputs at z and at z + δ, flattened.</summary>
/// <param name="Epsilon">Noise level ε of the ball.</param>
/// <param name="SearchSimilarity">The similarity the search minimised.</param>
/// <param name="Value">Its value for this pair.</param>
/// <param name="Original">G(z), flattened.</param>
/// <param name="Perturbed">G(z + δ), flattened.</param>
/// <param name="Shape">Shape of one output, e.g. [1, 28, 28].</param>
public sealed record WorstCasePair(double Epsilon, SimilarityKind SearchSimilarity, double Value, float[] Original, float[] Perturbed, long[] Shape);
