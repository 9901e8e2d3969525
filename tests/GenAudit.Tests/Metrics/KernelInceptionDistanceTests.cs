using GenAudit.Metrics;
using static GenAudit.Tests.Metrics.MetricTestData;

namespace GenAudit.Tests.Metrics;

public class KernelInceptionDistanceTests
{
    static double Kernel(double[] x, double[] y) => Math.Pow(x.Zip(y, (a, b) => a * b).Sum() / x.Length + 1, 3);

    /// <summary>Unbiased MMD² by plain loops over all pairs.</summary>
    static double UnbiasedMmd(double[][] x, double[][] y)
    {
        var m = x.Length;
        double xx = 0, yy = 0, xy = 0;
        for (var i = 0; i < m; i++)
            for (var j = 0; j < m; j++)
            {
                if (i != j) { xx += Kernel(x[i], x[j]); yy += Kernel(y[i], y[j]); }
                xy += Kernel(x[i], y[j]);
            }
        return (xx + yy) / (m * (m - 1.0)) - 2 * xy / ((double)m * m);
    }

    [Fact]
    public void WholeSetSubsetEqualsLoopMmdAndReportsNoSpread()
    {
        // With subset size ≥ N every subset would be a permutation of the whole set, and MMD² ignores
        // order: one value, and no standard deviation (it would be rounding noise).
        var random = new Random(6);
        var x = Gaussian(random, 30, 4);
        var y = Gaussian(random, 30, 4, shift: 0.5);
        using var real = ToTensor(x);
        using var fake = ToTensor(y);
        var kid = KernelInceptionDistance.Compute(real, fake, new KernelInceptionDistanceOptions { SubsetCount = 3, SubsetSize = 1000 });
        Assert.Equal(30, kid.SubsetSize);
        Assert.Equal(1, kid.SubsetCount);
        Assert.Equal(UnbiasedMmd(x, y), Assert.Single(kid.SubsetValues), 1e-12);
        Assert.Equal(UnbiasedMmd(x, y), kid.Mean, 1e-12);
        Assert.Null(kid.StandardDeviation);
    }

    [Fact]
    public void SubsetsOfTheLargerSetAloneStillReportTheirSpread()
    {
        // The real set fits in one subset but the fake set does not: subsets differ, so the spread is real.
        var random = new Random(7);
        var x = Gaussian(random, 30, 4);
        var y = Gaussian(random, 60, 4, shift: 0.5);
        using var real = ToTensor(x);
        using var fake = ToTensor(y);
        var kid = KernelInceptionDistance.Compute(real, fake, new KernelInceptionDistanceOptions { SubsetCount = 4, SubsetSize = 1000 });
        Assert.Equal(4, kid.SubsetCount);
        var mean = kid.SubsetValues.Average();
        Assert.Equal(Math.Sqrt(kid.SubsetValues.Sum(v => (v - mean) * (v - mean)) / 4), kid.StandardDeviation!.Value, 1e-15);
        Assert.True(kid.StandardDeviation > 1e-6, $"spread {kid.StandardDeviation:G4} over subsets of 30 of 60 fakes");
    }

    [Fact]
    public void MeanOverIndependentDrawsOfOneDistributionIsWithinTwoStandardErrorsOfZero()
    {
        var random = new Random(2024);
        const int draws = 200;
        var estimates = new double[draws];
        for (var r = 0; r < draws; r++)
        {
            using var real = ToTensor(Gaussian(random, 100, 8));
            using var fake = ToTensor(Gaussian(random, 100, 8));
            estimates[r] = KernelInceptionDistance.Compute(real, fake, new KernelInceptionDistanceOptions { SubsetCount = 1, SubsetSize = 100, Seed = (ulong)r }).Mean;
        }
        var mean = estimates.Average();
        var standardError = Math.Sqrt(estimates.Sum(e => (e - mean) * (e - mean)) / (draws - 1) / draws);
        Assert.True(Math.Abs(mean) < 2 * standardError, $"mean {mean:G4}, standard error {standardError:G4}");
        Assert.Contains(estimates, e => e < 0); // unbiased estimates of 0 must go negative sometimes
    }

    [Fact]
    public void ShiftedDistributionIsClearlyPositive()
    {
        var random = new Random(9);
        using var real = ToTensor(Gaussian(random, 400, 8), TorchSharp.torch.ScalarType.Float32);
        using var fake = ToTensor(Gaussian(random, 300, 8, shift: 1.0), TorchSharp.torch.ScalarType.Float32);
        var kid = KernelInceptionDistance.Compute(real, fake, new KernelInceptionDistanceOptions { SubsetCount = 20, SubsetSize = 200 });
        Assert.Equal(200, kid.SubsetSize);
        Assert.True(kid.Mean > 3 * kid.StandardDeviation!.Value && kid.Mean > 0.1, $"KID {kid.Mean:G4} ± {kid.StandardDeviation:G4}");
    }

    [Fact]
    public void SameSeedSameSubsetsOtherSeedOtherSubsets()
    {
        var random = new Random(12);
        using var real = ToTensor(Gaussian(random, 120, 4));
        using var fake = ToTensor(Gaussian(random, 90, 4, shift: 0.2));
        var options = new KernelInceptionDistanceOptions { SubsetCount = 5, SubsetSize = 50, Seed = 7 };
        Assert.Equal(KernelInceptionDistance.Compute(real, fake, options).SubsetValues, KernelInceptionDistance.Compute(real, fake, options).SubsetValues);
        Assert.NotEqual(KernelInceptionDistance.Compute(real, fake, options).SubsetValues, KernelInceptionDistance.Compute(real, fake, options with { Seed = 8 }).SubsetValues);
    }

    [Fact]
    public void SubsetStreamIsSplitMix64()
    {
        // Reference outputs of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var random = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, random.Next());
        Assert.Equal(0x6E789E6AA1B965F4UL, random.Next());
        var sample = new SplitMix64(3).SampleWithoutReplacement(10, 10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), sample.Order());
    }
}
