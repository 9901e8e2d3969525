using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>
/// Squared Euclidean distances as batched matrix products in float64, one block of rows at a time,
/// so that N × M distances never have to exist at once.
/// </summary>
/// <remarks>
/// Distances use ‖a‖² + ‖b‖² − 2 a·b, clamped at 0. Against a direct Σ(a−b)² the result differs by
/// rounding of order 1e-16 · (‖a‖² + ‖b‖²), so comparisons differ only on near-ties at that scale; on
/// integer-valued features every term is exact and ties are exact too.
/// </remarks>
internal static class PairwiseDistances
{
    /// <summary>Default number of rows per block: a 1024 × 10,000 float64 block is 82 MB.</summary>
    internal const int DefaultChunkRows = 1024;

    /// <summary>Row-wise squared norms ‖x_i‖², shape (N,).</summary>
    internal static Tensor SquaredNorms(Tensor x) => x.mul(x).sum(1);

    /// <summary>Squared distances between the rows of <paramref name="a"/> and of <paramref name="b"/>, shape (A, B).</summary>
    internal static Tensor Squared(Tensor a, Tensor aNorms, Tensor b, Tensor bNorms)
    {
        var distances = a.mm(b.t()).mul_(-2.0);          // (A, B)
        distances.add_(aNorms.unsqueeze(1)).add_(bNorms.unsqueeze(0));
        return distances.clamp_min_(0.0);
    }

    /// <summary>
    /// For each row of <paramref name="x"/>, the squared distance to its k-th nearest OTHER row (the row
    /// itself is excluded by index, duplicates count as neighbours at distance 0). Shape (N,).
    /// </summary>
    internal static Tensor KthNearestSquared(Tensor x, Tensor norms, int k, int chunkRows)
    {
        var n = x.shape[0];
        var radii = zeros(n, ScalarType.Float64);                 // (N,)
        for (long start = 0; start < n; start += chunkRows)
        {
            using var scope = NewDisposeScope();
            var rows = Math.Min(chunkRows, n - start);
            var block = Squared(x.narrow(0, start, rows), norms.narrow(0, start, rows), x, norms); // (c, N)
            block.diagonal(start).fill_(double.PositiveInfinity);  // row i of the block is sample start + i
            var (values, _) = block.topk(k, dim: 1, largest: false, sorted: true); // (c, k)
            radii.narrow(0, start, rows).copy_(values.select(1, k - 1));
        }
        return radii;
    }

    /// <summary>
    /// For each row of <paramref name="queries"/>, the squared distance to the nearest row of
    /// <paramref name="reference"/> and its index; with <paramref name="excludeSelf"/> the two sets are
    /// the same and row i is not its own neighbour. Returns (N,) float64 and (N,) int64.
    /// </summary>
    internal static (Tensor Squared, Tensor Index) Nearest(Tensor queries, Tensor reference, bool excludeSelf, int chunkRows)
    {
        var n = queries.shape[0];
        var queryNorms = SquaredNorms(queries);
        var referenceNorms = SquaredNorms(reference);
        var nearest = zeros(n, ScalarType.Float64);               // (N,)
        var index = zeros(n, ScalarType.Int64);                   // (N,)
        for (long start = 0; start < n; start += chunkRows)
        {
            using var scope = NewDisposeScope();
            var rows = Math.Min(chunkRows, n - start);
            var block = Squared(queries.narrow(0, start, rows), queryNorms.narrow(0, start, rows), reference, referenceNorms); // (c, M)
            if (excludeSelf) block.diagonal(start).fill_(double.PositiveInfinity);
            var (values, indexes) = block.min(1);                 // (c,), (c,)
            nearest.narrow(0, start, rows).copy_(values);
            index.narrow(0, start, rows).copy_(indexes);
        }
        return (nearest, index);
    }

    /// <summary>
    /// For each row of <paramref name="queries"/> (float64), the Euclidean distance to its nearest row of
    /// <paramref name="reference"/> (float64) and that row's index. The search ranks candidates with float32
    /// matrix products (half the time and memory of float64), keeps the <paramref name="candidates"/> best
    /// of each row, and chooses among them by the distance recomputed directly as ‖q − r‖ in float64, so
    /// the result is exact unless float32 rounding pushes the true neighbour below the candidates, which
    /// needs |d²_true − d²_k| below about 1e-6 · (‖q‖² + ‖r‖²). With <paramref name="excludeSelf"/> the two
    /// sets are the same and row i is not its own neighbour (a duplicate row still is, at distance 0).
    /// </summary>
    internal static (double[] Distances, int[] Indices) NearestExact(Tensor queries, Tensor reference, bool excludeSelf, int chunkRows, int candidates = 4) =>
        NearestExact(queries, reference, excludeSelf ? Enumerable.Range(0, (int)queries.shape[0]).Select(i => (long)i).ToArray() : null, chunkRows, candidates);

    /// <summary>
    /// As <see cref="NearestExact(Tensor, Tensor, bool, int, int)"/>, with <paramref name="exclude"/>[i] the
    /// reference row that query i may not take as its neighbour (itself, when the queries are rows of the
    /// reference), or −1 for none; null excludes nothing.
    /// </summary>
    internal static (double[] Distances, int[] Indices) NearestExact(Tensor queries, Tensor reference, long[]? exclude, int chunkRows, int candidates = 4)
    {
        var excludeSelf = exclude is not null;
        using var scope = NewDisposeScope();
        var n = queries.shape[0];
        var m = reference.shape[0];
        var k = (int)Math.Min(candidates, excludeSelf ? m - 1 : m);
        var reference32 = reference.to(ScalarType.Float32);                       // (M, D)
        var referenceNorms = SquaredNorms(reference32);                           // (M,)
        var distances = new double[n];
        var indices = new int[n];
        for (long start = 0; start < n; start += chunkRows)
        {
            using var block = NewDisposeScope();
            var rows = Math.Min(chunkRows, n - start);
            var q64 = queries.narrow(0, start, rows);                             // (c, D)
            var q32 = q64.to(ScalarType.Float32);
            var squared = Squared(q32, SquaredNorms(q32), reference32, referenceNorms); // (c, M) float32
            if (exclude is not null)
            {
                var own = tensor(exclude.AsSpan((int)start, (int)rows).ToArray());     // (c,)
                var valid = own.ge(0);
                var column = own.clamp_min(0).unsqueeze(1);                             // (c, 1)
                var keep = squared.gather(1, column);                                   // (c, 1)
                squared.scatter_(1, column, where(valid.unsqueeze(1), full_like(keep, float.PositiveInfinity), keep));
            }
            var (_, best) = squared.topk(k, dim: 1, largest: false, sorted: true);   // (c, k)
            var picked = reference.index_select(0, best.flatten()).view(rows, k, -1); // (c, k, D) float64
            var exact = (q64.unsqueeze(1) - picked).square().sum(2).sqrt();          // (c, k) float64
            var (value, position) = exact.min(1);                                    // (c,), (c,)
            var chosen = best.gather(1, position.unsqueeze(1)).squeeze(1);           // (c,)
            value.data<double>().CopyTo(distances.AsSpan((int)start, (int)rows));
            var chosenIndices = chosen.data<long>().ToArray();
            for (var i = 0; i < rows; i++) indices[start + i] = (int)chosenIndices[i];
        }
        return (distances, indices);
    }
}
