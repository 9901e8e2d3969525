using GenAudit.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Metrics;

/// <summary>
/// The three kernel sums of the unbiased MMD² with KID's cubic kernel, and how many pairs each sums:
/// all six add across blocks of the kernel matrices, so the MMD² of large sets can be computed block by
/// block on different machines and merged exactly.
/// </summary>
/// <param name="SumRealReal">Σ k(xᵢ, xⱼ) over real pairs i ≠ j.</param>
/// <param name="SumFakeFake">Σ k(yᵢ, yⱼ) over fake pairs i ≠ j.</param>
/// <param name="SumRealFake">Σ k(xᵢ, yⱼ) over all real-fake pairs.</param>
/// <param name="PairsRealReal">Ordered real pairs summed (N(N − 1) over the whole set).</param>
/// <param name="PairsFakeFake">Ordered fake pairs summed (M(M − 1) over the whole set).</param>
/// <param name="PairsRealFake">Real-fake pairs summed (N·M over the whole set).</param>
public sealed record MmdTerms(double SumRealReal, double SumFakeFake, double SumRealFake, long PairsRealReal, long PairsFakeFake, long PairsRealFake)
{
    /// <summary>No pairs: the identity of <see cref="Merge"/>.</summary>
    public static MmdTerms Empty { get; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>The terms of one diagonal block: the pairs within shard i (real rows xᵢ, fake rows yᵢ).</summary>
    public static MmdTerms Diagonal(Tensor real, Tensor fake) => Block(real, fake, null, null);

    /// <summary>The terms of one off-diagonal block: the pairs between shard i and shard j ≠ i, counted in both orders.</summary>
    public static MmdTerms OffDiagonal(Tensor realI, Tensor fakeI, Tensor realJ, Tensor fakeJ)
    {
        ArgumentNullException.ThrowIfNull(realJ);
        ArgumentNullException.ThrowIfNull(fakeJ);
        return Block(realI, fakeI, realJ, fakeJ);
    }

    /// <summary>The terms of the union of two disjoint sets of pairs.</summary>
    public MmdTerms Merge(MmdTerms other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new MmdTerms(SumRealReal + other.SumRealReal, SumFakeFake + other.SumFakeFake, SumRealFake + other.SumRealFake,
            PairsRealReal + other.PairsRealReal, PairsFakeFake + other.PairsFakeFake, PairsRealFake + other.PairsRealFake);
    }

    /// <summary>Unbiased MMD²: mean real-real kernel + mean fake-fake kernel − 2 × mean real-fake kernel; equals KID's per-subset value when the sets have equal size.</summary>
    public double MmdSquared()
    {
        if (PairsRealReal < 1 || PairsFakeFake < 1 || PairsRealFake < 1)
            throw new InvalidOperationException($"the merged blocks hold {PairsRealReal} real, {PairsFakeFake} fake and {PairsRealFake} mixed pairs; the unbiased MMD² needs at least 2 samples of each set, so some blocks are missing.");
        return SumRealReal / PairsRealReal + SumFakeFake / PairsFakeFake - 2.0 * SumRealFake / PairsRealFake;
    }

    /// <summary>
    /// The terms of every block of a row sharding of the two sets into <paramref name="shards"/> parts
    /// (part s holds rows [s·N/shards, (s+1)·N/shards)), merged: the single-machine equivalent of
    /// scattering the blocks, and the reference the block functions are tested against.
    /// </summary>
    public static MmdTerms OfShards(Tensor real, Tensor fake, int shards)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var x = FeatureMatrix.ToFloat64(real, nameof(real), minimumRows: 2); // (N, D)
        var y = FeatureMatrix.ToFloat64(fake, nameof(fake), minimumRows: 2); // (M, D)
        FeatureMatrix.RequireSameDimension(x, nameof(real), y, nameof(fake));
        var smaller = Math.Min(x.shape[0], y.shape[0]);
        if (shards < 1 || shards > smaller)
            throw new ArgumentOutOfRangeException(nameof(shards), $"shards is {shards}; it must be between 1 and the smaller set's size ({smaller}).");
        Tensor Part(Tensor t, int s) { var n = t.shape[0]; var start = s * n / shards; return t.narrow(0, start, (s + 1) * n / shards - start); }
        var terms = Empty;
        for (var i = 0; i < shards; i++)
        {
            terms = terms.Merge(Diagonal(Part(x, i), Part(y, i)));
            for (var j = i + 1; j < shards; j++)
                terms = terms.Merge(OffDiagonal(Part(x, i), Part(y, i), Part(x, j), Part(y, j)));
        }
        return terms;
    }

    static MmdTerms Block(Tensor realI, Tensor fakeI, Tensor? realJ, Tensor? fakeJ)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var xi = FeatureMatrix.ToFloat64(realI, "real");             // (nᵢ, D)
        var yi = FeatureMatrix.ToFloat64(fakeI, "fake");             // (mᵢ, D)
        FeatureMatrix.RequireSameDimension(xi, "real", yi, "fake");
        if (realJ is null || fakeJ is null)
        {
            long n = xi.shape[0], m = yi.shape[0];
            var kxx = Kernel(xi, xi);
            var kyy = Kernel(yi, yi);
            return new MmdTerms(
                kxx.sum().item<double>() - kxx.diagonal().sum().item<double>(),
                kyy.sum().item<double>() - kyy.diagonal().sum().item<double>(),
                Kernel(xi, yi).sum().item<double>(),
                n * (n - 1), m * (m - 1), n * m);
        }
        var xj = FeatureMatrix.ToFloat64(realJ, "real");             // (nⱼ, D)
        var yj = FeatureMatrix.ToFloat64(fakeJ, "fake");             // (mⱼ, D)
        FeatureMatrix.RequireSameDimension(xi, "real", xj, "real");
        FeatureMatrix.RequireSameDimension(yi, "fake", yj, "fake");
        long ni = xi.shape[0], mi = yi.shape[0], nj = xj.shape[0], mj = yj.shape[0];
        return new MmdTerms(
            2.0 * Kernel(xi, xj).sum().item<double>(),
            2.0 * Kernel(yi, yj).sum().item<double>(),
            Kernel(xi, yj).sum().item<double>() + Kernel(xj, yi).sum().item<double>(),
            2 * ni * nj, 2 * mi * mj, ni * mj + nj * mi);
    }

    /// <summary>k(a, b) = (a·b / D + 1)³ for every pair of rows.</summary>
    static Tensor Kernel(Tensor a, Tensor b) => a.mm(b.t()).div_(a.shape[1]).add_(1.0).pow_(3); // (rows a, rows b)
}

/// <summary>
/// KID over subsets, computed in ranges of subsets: range [first, first + count) replays the same
/// SplitMix64 draws as <see cref="KernelInceptionDistance.Compute"/>, so concatenating the ranges'
/// values in order and calling <see cref="Combine"/> gives the single-pass result.
/// </summary>
public static class ShardedKernelInceptionDistance
{
    /// <summary>The per-subset MMD² of subsets [first, first + count) of the draw that <see cref="KernelInceptionDistance.Compute"/> makes with the same options.</summary>
    public static double[] SubsetValues(Tensor real, Tensor fake, KernelInceptionDistanceOptions options, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (first < 0 || count < 1 || first + count > options.SubsetCount)
            throw new ArgumentOutOfRangeException(nameof(first), $"subsets [{first}, {first + count}) are not inside the {options.SubsetCount} subsets of the options.");
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (x, y, m) = KernelInceptionDistance.Prepare(real, fake, options);
        if (m == x.shape[0] && m == y.shape[0])
            throw new ArgumentException($"both sets fit in one subset of {options.SubsetSize}: KID is one whole-set MMD², so shard it by blocks with MmdTerms instead of by subsets.");
        var random = new SplitMix64(options.Seed);
        for (var s = 0; s < first; s++)
        {
            random.SampleWithoutReplacement(x.shape[0], m);
            random.SampleWithoutReplacement(y.shape[0], m);
        }
        var values = new double[count];
        for (var s = 0; s < count; s++)
        {
            using var subsetScope = NewDisposeScope();
            var realIndex = tensor(random.SampleWithoutReplacement(x.shape[0], m), ScalarType.Int64);
            var fakeIndex = tensor(random.SampleWithoutReplacement(y.shape[0], m), ScalarType.Int64);
            values[s] = MmdTerms.Diagonal(x.index_select(0, realIndex), y.index_select(0, fakeIndex)).MmdSquared();
        }
        return values;
    }

    /// <summary>KID from every subset's value in draw order: their mean and population standard deviation, as the single-pass computation reports them.</summary>
    public static KernelInceptionDistanceResult Combine(IReadOnlyList<double> subsetValues, int subsetSize)
    {
        ArgumentNullException.ThrowIfNull(subsetValues);
        if (subsetValues.Count == 0) throw new ArgumentException("no subset values to combine");
        var values = subsetValues.ToArray();
        var mean = values.Average();
        var variance = values.Select(v => (v - mean) * (v - mean)).Sum() / values.Length;
        return new KernelInceptionDistanceResult(mean, Math.Sqrt(variance), values.Length, subsetSize, values);
    }
}
