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
}
