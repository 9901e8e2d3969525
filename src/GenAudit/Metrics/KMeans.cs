using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>A k-means partition: the centres and, for the rows it was fitted on, their cells.</summary>
/// <param name="Centers">(K, D) float64 cell centres.</param>
/// <param name="Iterations">Lloyd iterations run until no row changed cell (or the cap was reached).</param>
/// <param name="Converged">True when the last iteration changed no assignment.</param>
public sealed record KMeansModel(double[,] Centers, int Iterations, bool Converged)
{
    /// <summary>Number of cells K.</summary>
    public int CellCount => Centers.GetLength(0);

    /// <summary>The nearest centre of each row of <paramref name="x"/> (N, D); ties go to the lower cell index.</summary>
    public int[] Assign(Tensor x, int chunkRows = 0)
    {
        if (chunkRows <= 0) chunkRows = Math.Max(PairwiseDistances.DefaultChunkRows, 4_000_000 / CellCount);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = FeatureMatrix.ToFloat64(x, nameof(x));                    // (N, D)
        var centers = tensor(Centers);                                       // (K, D)
        if (rows.shape[1] != centers.shape[1])
            throw new ArgumentException($"x has {rows.shape[1]} columns but the centres have {centers.shape[1]}", nameof(x));
        var (_, index) = PairwiseDistances.Nearest(rows, centers, excludeSelf: false, chunkRows); // (N,)
        return index.data<long>().ToArray().Select(i => (int)i).ToArray();
    }
}

/// <summary>
/// Seeded k-means (Lloyd's algorithm from a k-means++ start, Arthur and Vassilvitskii 2007) in
/// float64: the partition of feature space the data-copying test of Meehan et al. (2020) compares
/// samples within.
/// </summary>
public static class KMeans
{
    /// <summary>
    /// Fits K cells to the rows of <paramref name="x"/> (N, D), N ≥ K. The k-means++ draws use
    /// SplitMix64 with <paramref name="seed"/>, so the partition is a function of the data and the seed.
    /// <paramref name="chunkRows"/> ≤ 0 picks blocks of about four million row-centre distances. Lloyd's
    /// iterations stop at <paramref name="maxIterations"/> (25) when they have not converged: a test
    /// that compares samples within cells is valid for any partition fixed before the generated
    /// samples are seen, so a partition a few iterations from convergence costs nothing but balance.
    /// </summary>
    public static KMeansModel Fit(Tensor x, int cellCount, ulong seed, int maxIterations = 25, int chunkRows = 0)
    {
        // Rows × K distances are small: blocks of about 4 million of them keep the per-block overhead off the Lloyd loop.
        if (chunkRows <= 0) chunkRows = Math.Max(PairwiseDistances.DefaultChunkRows, 4_000_000 / Math.Max(cellCount, 1));
        ArgumentOutOfRangeException.ThrowIfLessThan(cellCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = FeatureMatrix.ToFloat64(x, nameof(x), minimumRows: cellCount); // (N, D)
        var n = (int)rows.shape[0];
        var random = new SplitMix64(seed);

        // k-means++: each next centre drawn with probability proportional to D(x)², the squared distance to the nearest centre so far.
        var chosen = new List<long> { random.NextBelow(n) };
        var nearest = PairwiseDistances.Squared(rows, PairwiseDistances.SquaredNorms(rows), rows.narrow(0, chosen[0], 1),
            PairwiseDistances.SquaredNorms(rows.narrow(0, chosen[0], 1))).squeeze(1);       // (N,)
        while (chosen.Count < cellCount)
        {
            var weights = nearest.data<double>().ToArray();
            var total = weights.Sum();
            long next;
            if (total <= 0)
                next = Enumerable.Range(0, n).First(i => !chosen.Contains(i)); // every row already coincides with a centre
            else
            {
                var target = random.NextDouble() * total;
                next = n - 1;
                double cumulative = 0;
                for (var i = 0; i < n; i++)
                {
                    cumulative += weights[i];
                    if (cumulative > target) { next = i; break; }
                }
            }
            chosen.Add(next);
            var row = rows.narrow(0, next, 1);
            var distance = PairwiseDistances.Squared(rows, PairwiseDistances.SquaredNorms(rows), row, PairwiseDistances.SquaredNorms(row)).squeeze(1);
            nearest = minimum(nearest, distance);
        }
        var centers = rows.index_select(0, tensor(chosen.ToArray())).clone(); // (K, D)

        using var one = 1.0.ToScalar();
        var assignment = full(n, -1L, ScalarType.Int64);
        var iterations = 0;
        var converged = false;
        while (iterations < maxIterations)
        {
            iterations++;
            var (_, index) = PairwiseDistances.Nearest(rows, centers, excludeSelf: false, chunkRows); // (N,)
            converged = index.equal(assignment).all().item<bool>();
            assignment = index;
            if (converged) break;
            // New centres: the mean of each cell's rows; an emptied cell keeps its old centre.
            var sums = zeros_like(centers).index_add_(0, assignment, rows, one);                       // (K, D)
            var counts = zeros(cellCount, ScalarType.Float64).index_add_(0, assignment, ones(n, ScalarType.Float64), one); // (K,)
            var filled = counts.gt(0).unsqueeze(1);                                                // (K, 1)
            centers = where(filled, sums / counts.clamp_min(1).unsqueeze(1), centers);
        }
        var result = new double[cellCount, centers.shape[1]];
        var values = centers.data<double>().ToArray();
        Buffer.BlockCopy(values, 0, result, 0, values.Length * sizeof(double));
        return new KMeansModel(result, iterations, converged);
    }
}
