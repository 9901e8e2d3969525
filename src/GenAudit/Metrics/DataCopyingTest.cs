using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>Settings for <see cref="DataCopyingTest"/>.</summary>
public sealed record DataCopyingOptions
{
    /// <summary>Cells of the k-means partition of the training features. Default: 20.</summary>
    public int CellCount { get; init; } = 20;

    /// <summary>
    /// τ: a cell enters C_T only when more than this fraction of the generated samples fall in it.
    /// Null: 20 / m, i.e. at least 20 generated samples, as in Meehan et al.'s experiments. Default: null.
    /// </summary>
    public double? MinGeneratedFraction { get; init; }

    /// <summary>Seeds the k-means++ start. Default: 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>Query rows per distance block.</summary>
    public int ChunkRows { get; init; } = PairwiseDistances.DefaultChunkRows;
}

/// <summary>One cell of the partition.</summary>
/// <param name="Cell">Cell index.</param>
/// <param name="TrainingCount">Training samples in the cell.</param>
/// <param name="TestCount">Held-out samples in the cell.</param>
/// <param name="GeneratedCount">Generated samples in the cell.</param>
/// <param name="ZU">The cell's Z-scored Mann–Whitney U; null when the cell lacks held-out, training or generated samples.</param>
/// <param name="Used">True when the cell entered C_T (its generated share exceeds τ and Z_U is defined).</param>
public sealed record DataCopyingCell(int Cell, int TrainingCount, int TestCount, int GeneratedCount, double? ZU, bool Used);

/// <summary>The data-copying statistic and its cells.</summary>
/// <param name="Ct">C_T: the held-out-share-weighted mean of Z_U over the used cells. ≪ 0 (about −3 or below): the generator copies; ≫ 0: it underfits; near 0: neither.</param>
/// <param name="Tau">The τ applied.</param>
/// <param name="Cells">Every cell, in index order.</param>
public sealed record DataCopyingResult(double Ct, double Tau, DataCopyingCell[] Cells)
{
    /// <summary>Cells that entered C_T.</summary>
    public int CellsUsed => Cells.Count(c => c.Used);
}

/// <summary>
/// The three-sample data-copying test of Meehan, Chaudhuri and Dasgupta (2020, "A non-parametric
/// test to detect data-copying in generative models"): within each cell of a k-means partition of the
/// training set, are generated samples closer to the training set than held-out real samples are?
/// </summary>
/// <remarks>
/// In cell π, L(Q_π) are the distances of the generated samples in π to their nearest training sample
/// in π and L(P_π) those of the held-out samples. U counts the pairs (q, p) with L(q) &gt; L(p) (ties
/// count ½), and Z_U = (U − (m_π n_π / 2 − ½)) / √(m_π n_π (m_π + n_π + 1) / 12), the normal
/// approximation with the continuity term of the authors' reference code. C_T = Σ_π P_n(π) Z_U(π) /
/// Σ_π P_n(π) over the cells whose share of generated samples exceeds τ. A generator that copies puts
/// its samples nearer to training samples than fresh data lands, so U is small and C_T negative.
/// </remarks>
public static class DataCopyingTest
{
    /// <summary>C_T of <paramref name="generated"/> (m, D) against <paramref name="training"/> (l, D), with <paramref name="test"/> (n, D) held out from training.</summary>
    public static DataCopyingResult Compute(Tensor training, Tensor test, Tensor generated, DataCopyingOptions? options = null)
    {
        options ??= new DataCopyingOptions();
        if (options.CellCount < 1) throw new ArgumentOutOfRangeException(nameof(options), $"CellCount is {options.CellCount}; it must be at least 1.");
        if (options.MinGeneratedFraction is { } f && !(f >= 0 && f < 1)) throw new ArgumentOutOfRangeException(nameof(options), $"MinGeneratedFraction is {f}; it must be in [0, 1).");
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var train = FeatureMatrix.ToFloat64(training, nameof(training), minimumRows: options.CellCount); // (l, D)
        var held = FeatureMatrix.ToFloat64(test, nameof(test), minimumRows: 1);                        // (n, D)
        var gen = FeatureMatrix.ToFloat64(generated, nameof(generated), minimumRows: 1);                // (m, D)
        FeatureMatrix.RequireSameDimension(train, nameof(training), held, nameof(test));
        FeatureMatrix.RequireSameDimension(train, nameof(training), gen, nameof(generated));
        var (partition, trainCells) = Partitions.GetOrFit(train, options.CellCount, options.Seed);
        var tau = options.MinGeneratedFraction ?? 20.0 / gen.shape[0];
        return FromCells(train, trainCells, held, partition.Assign(held),
            gen, partition.Assign(gen), options.CellCount, tau, options.ChunkRows);
    }

    /// <summary>
    /// The partitions fitted in this process, by the training rows' bytes, K and the seed: an audit of
    /// several generators against one training set (calibration, a sweep, every checkpoint of a run)
    /// fits the partition once. A few entries are kept; the newest replaces the oldest.
    /// </summary>
    internal static class Partitions
    {
        const int Capacity = 4;
        static readonly Lock Gate = new();
        static readonly List<(string Key, KMeansModel Model, int[] Cells)> Entries = [];

        /// <summary>Calls answered from the store (for tests).</summary>
        public static int Hits { get; private set; }

        public static (KMeansModel Model, int[] TrainingCells) GetOrFit(Tensor train, int cellCount, ulong seed)
        {
            var key = Key(train, cellCount, seed);
            lock (Gate)
            {
                var found = Entries.FindIndex(e => e.Key == key);
                if (found >= 0)
                {
                    Hits++;
                    return (Entries[found].Model, Entries[found].Cells);
                }
            }
            var model = KMeans.Fit(train, cellCount, seed);
            var cells = model.Assign(train);
            lock (Gate)
            {
                if (Entries.Count == Capacity) Entries.RemoveAt(0);
                Entries.Add((key, model, cells));
            }
            return (model, cells);
        }

        static string Key(Tensor train, int cellCount, ulong seed)
        {
            using var scope = NewDisposeScope();
            var bytes = MemoryMarshal.AsBytes(train.contiguous().data<double>().ToArray().AsSpan());
            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            return string.Create(CultureInfo.InvariantCulture, $"{hash}/{train.shape[0]}x{train.shape[1]}/K={cellCount}/seed={seed}");
        }
    }

    /// <summary>C_T for given cell labels (0..cellCount−1) of each row: the statistic without the partition step.</summary>
    internal static DataCopyingResult FromCells(Tensor training, int[] trainingCells, Tensor test, int[] testCells,
        Tensor generated, int[] generatedCells, int cellCount, double tau, int chunkRows = PairwiseDistances.DefaultChunkRows)
    {
        using var scope = NewDisposeScope();
        var m = generatedCells.Length;
        var n = testCells.Length;
        var cells = new DataCopyingCell[cellCount];
        double weighted = 0, weights = 0;
        for (var c = 0; c < cellCount; c++)
        {
            using var cellScope = NewDisposeScope();
            var t = Rows(training, trainingCells, c);
            var p = Rows(test, testCells, c);
            var q = Rows(generated, generatedCells, c);
            int tc = (int)(t?.shape[0] ?? 0), pc = (int)(p?.shape[0] ?? 0), qc = (int)(q?.shape[0] ?? 0);
            double? z = null;
            if (t is not null && p is not null && q is not null)
            {
                var lq = PairwiseDistances.NearestExact(q, t, excludeSelf: false, chunkRows).Distances;
                var lp = PairwiseDistances.NearestExact(p, t, excludeSelf: false, chunkRows).Distances;
                z = ZScore(MannWhitneyU(lq, lp), lq.Length, lp.Length);
            }
            var used = z is not null && (double)qc / m > tau;
            if (used)
            {
                var share = (double)pc / n;
                weighted += share * z!.Value;
                weights += share;
            }
            cells[c] = new DataCopyingCell(c, tc, pc, qc, z, used);
        }
        if (weights == 0)
            throw new InvalidOperationException($"No cell holds more than τ = {tau:G4} of the generated samples together with held-out and training samples; lower the cell count or τ.");
        return new DataCopyingResult(weighted / weights, tau, cells);
    }

    /// <summary>
    /// Mann–Whitney U of <paramref name="first"/> against <paramref name="second"/>: the pairs (a, b)
    /// with a &gt; b, ties counted ½ (scipy.stats.mannwhitneyu's statistic for the first sample), from
    /// average ranks of the pooled sample.
    /// </summary>
    internal static double MannWhitneyU(double[] first, double[] second)
    {
        var pooled = first.Select(v => (Value: v, First: true)).Concat(second.Select(v => (Value: v, First: false)))
            .OrderBy(e => e.Value).ToArray();
        double rankSumFirst = 0;
        for (var i = 0; i < pooled.Length;)
        {
            var j = i;
            while (j + 1 < pooled.Length && pooled[j + 1].Value == pooled[i].Value) j++;
            var averageRank = (i + j) / 2.0 + 1; // ranks are 1-based
            for (var k = i; k <= j; k++) if (pooled[k].First) rankSumFirst += averageRank;
            i = j + 1;
        }
        return rankSumFirst - first.Length * (first.Length + 1) / 2.0;
    }

    /// <summary>Z_U with Meehan et al.'s continuity term: (U − (m n / 2 − ½)) / √(m n (m + n + 1) / 12).</summary>
    internal static double ZScore(double u, int m, int n) => (u - (m * (double)n / 2 - 0.5)) / Math.Sqrt(m * (double)n * (m + n + 1) / 12);

    static Tensor? Rows(Tensor x, int[] cells, int cell)
    {
        var rows = Enumerable.Range(0, cells.Length).Where(i => cells[i] == cell).Select(i => (long)i).ToArray();
        return rows.Length == 0 ? null : x.index_select(0, tensor(rows));
    }
}
