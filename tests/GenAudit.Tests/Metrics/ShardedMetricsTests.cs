using GenAudit.Metrics;
using static GenAudit.Tests.Metrics.MetricTestData;
using static TorchSharp.torch;

namespace GenAudit.Tests.Metrics;

/// <summary>
/// Merging k shards equals the single-pass metric (itself tested against scipy fixtures and loops) to
/// 1e-9, for uneven shard sizes and any merge order.
/// </summary>
public class ShardedMetricsTests
{
    static Tensor Rows(Tensor t, long start, long end) => t.narrow(0, start, end - start);

    /// <summary>Cut points of N rows into uneven shards: sizes 1, 2, … then the remainder.</summary>
    static long[] Cuts(long n, int shards)
    {
        var cuts = new List<long> { 0 };
        for (var s = 1; s < shards; s++) cuts.Add(Math.Min(n - (shards - s), cuts[^1] + s * s + 1));
        cuts.Add(n);
        return cuts.ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void MergedGaussianShardsGiveTheSingleShardStatisticsAndFid(int shards)
    {
        var random = new Random(17 + shards);
        using var real = ToTensor(Gaussian(random, 200, 6, shift: 3.0));
        using var fake = ToTensor(Gaussian(random, 150, 6, shift: 3.5));
        var cuts = Cuts(150, shards);
        var pieces = Enumerable.Range(0, shards).Select(s => GaussianShard.Of(Rows(fake, cuts[s], cuts[s + 1]))).ToList();
        pieces.Reverse(); // the merge order must not matter
        var merged = GaussianShard.MergeAll(pieces).ToStatistics();
        var single = FrechetDistance.ComputeStatistics(fake);

        Assert.Equal(single.Count, merged.Count);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(single.Mean[i], merged.Mean[i], 1e-9);
            for (var j = 0; j < 6; j++) Assert.Equal(single.Covariance[i, j], merged.Covariance[i, j], 1e-9);
        }
        var realStatistics = FrechetDistance.ComputeStatistics(real);
        Assert.Equal(FrechetDistance.Compute(realStatistics, single).Distance, FrechetDistance.Compute(realStatistics, merged).Distance, 1e-9);
    }

    [Fact]
    public void GaussianShardsOfDifferentDimensionsDoNotMerge()
    {
        var random = new Random(3);
        using var a = ToTensor(Gaussian(random, 5, 3));
        using var b = ToTensor(Gaussian(random, 5, 4));
        Assert.Contains("dimensions 3 and 4", Assert.Throws<ArgumentException>(() => GaussianShard.Of(a).Merge(GaussianShard.Of(b))).Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void MergedMmdBlocksGiveTheWholeSetKid(int shards)
    {
        var random = new Random(29);
        using var real = ToTensor(Gaussian(random, 40, 5));
        using var fake = ToTensor(Gaussian(random, 40, 5, shift: 0.4));
        var single = KernelInceptionDistance.Compute(real, fake, new KernelInceptionDistanceOptions { SubsetSize = 1000 });
        var terms = MmdTerms.OfShards(real, fake, shards);
        Assert.Equal(40L * 39, terms.PairsRealReal);
        Assert.Equal(40L * 40, terms.PairsRealFake);
        Assert.Equal(single.Mean, terms.MmdSquared(), 1e-9);
    }

    [Fact]
    public void MissingBlocksAreAnErrorNotAValue()
    {
        var random = new Random(30);
        using var real = ToTensor(Gaussian(random, 1, 3));
        using var fake = ToTensor(Gaussian(random, 1, 3));
        Assert.Throws<InvalidOperationException>(() => MmdTerms.Diagonal(real, fake).MmdSquared());
    }

    [Fact]
    public void SubsetRangesConcatenateToTheSinglePassKid()
    {
        var random = new Random(31);
        using var real = ToTensor(Gaussian(random, 60, 4));
        using var fake = ToTensor(Gaussian(random, 50, 4, shift: 0.3));
        var options = new KernelInceptionDistanceOptions { SubsetCount = 7, SubsetSize = 20, Seed = 5 };
        var single = KernelInceptionDistance.Compute(real, fake, options);
        var values = ShardedKernelInceptionDistance.SubsetValues(real, fake, options, 0, 3)
            .Concat(ShardedKernelInceptionDistance.SubsetValues(real, fake, options, 3, 1))
            .Concat(ShardedKernelInceptionDistance.SubsetValues(real, fake, options, 4, 3)).ToArray();
        var merged = ShardedKernelInceptionDistance.Combine(values, 20);
        for (var s = 0; s < 7; s++) Assert.Equal(single.SubsetValues[s], merged.SubsetValues[s], 1e-9);
        Assert.Equal(single.Mean, merged.Mean, 1e-9);
        Assert.Equal(single.StandardDeviation!.Value, merged.StandardDeviation!.Value, 1e-9);
    }

    static Tensor Probabilities(Random random, int n, int k)
    {
        using var logits = ToTensor(Gaussian(random, n, k));
        return logits.mul(2.0).softmax(1);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(6, 10)]
    public void MergedInceptionPartialsGiveTheSingleShardScore(int shards, int splits)
    {
        var random = new Random(41 + shards);
        using var probabilities = Probabilities(random, 97, 10);
        var single = InceptionScore.Compute(probabilities, splits);
        var cuts = Cuts(97, shards);
        var partials = Enumerable.Range(0, shards)
            .Select(s => InceptionScorePartial.Of(Rows(probabilities, cuts[s], cuts[s + 1]), cuts[s], 97, splits)).Reverse().ToList();
        var merged = partials.Skip(1).Aggregate(partials[0], (a, b) => a.Merge(b)).ToResult();
        for (var s = 0; s < splits; s++) Assert.Equal(single.SplitScores[s], merged.SplitScores[s], 1e-9);
        Assert.Equal(single.Mean, merged.Mean, 1e-9);
        Assert.Equal(single.StandardDeviation, merged.StandardDeviation, 1e-9);
    }

    [Fact]
    public void InceptionPartialsRefuseOverlapsAndGaps()
    {
        var random = new Random(43);
        using var probabilities = Probabilities(random, 20, 4);
        var first = InceptionScorePartial.Of(Rows(probabilities, 0, 12), 0, 20, 2);
        var overlapping = InceptionScorePartial.Of(Rows(probabilities, 10, 20), 10, 20, 2);
        Assert.Contains("overlap", Assert.Throws<ArgumentException>(() => first.Merge(overlapping)).Message);
        Assert.Contains("12 of 20 rows", Assert.Throws<InvalidOperationException>(() => first.ToResult()).Message);
    }
}
