using GenAudit.Metrics;
using static GenAudit.Tests.Metrics.MetricTestData;

namespace GenAudit.Tests.Metrics;

public class PrecisionRecallDensityCoverageTests
{
    /// <summary>Plain-loop reference: squared distances Σ(a−b)², radii by sorting, comparisons exactly as documented.</summary>
    sealed class BruteForce(double[][] real, double[][] fake, int k)
    {
        static double Squared(double[] a, double[] b)
        {
            var sum = 0.0;
            for (var j = 0; j < a.Length; j++) sum += (a[j] - b[j]) * (a[j] - b[j]);
            return sum;
        }

        static double[] Radii(double[][] set, int k) =>
            set.Select((p, i) => set.Where((_, j) => j != i).Select(q => Squared(p, q)).OrderBy(d => d).ElementAt(k - 1)).ToArray();

        readonly double[] realRadii = Radii(real, k);
        readonly double[] fakeRadii = Radii(fake, k);

        static bool Inside(double distance, double radius, bool inclusive) => inclusive ? distance <= radius : distance < radius;

        public (double Precision, double Recall, double Density, double Coverage) Compute(bool inclusive)
        {
            long ballHits = 0;
            var fakeInside = 0;
            foreach (var f in fake)
            {
                var hits = real.Select((r, i) => Inside(Squared(r, f), realRadii[i], inclusive)).Count(h => h);
                ballHits += hits;
                if (hits > 0) fakeInside++;
            }
            var realInside = real.Count(r => fake.Select((f, j) => Inside(Squared(r, f), fakeRadii[j], inclusive)).Any(h => h));
            var covered = real.Select((r, i) => fake.Min(f => Squared(r, f)) < realRadii[i]).Count(c => c);
            return ((double)fakeInside / fake.Length, (double)realInside / real.Length,
                (double)ballHits / ((double)k * fake.Length), (double)covered / real.Length);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(1000)]
    public void ChunkedEqualsBruteForceOnRandomSets(int chunkRows)
    {
        var random = new Random(11);
        var real = Gaussian(random, 37, 4);
        var fake = Gaussian(random, 29, 4, shift: 1.5);
        using var realTensor = ToTensor(real, TorchSharp.torch.ScalarType.Float32);
        using var fakeTensor = ToTensor(fake, TorchSharp.torch.ScalarType.Float32);
        // The library converts float32 to float64; the reference must see the same values.
        real = real.Select(r => r.Select(v => (double)(float)v).ToArray()).ToArray();
        fake = fake.Select(r => r.Select(v => (double)(float)v).ToArray()).ToArray();

        var expected = new BruteForce(real, fake, 5).Compute(inclusive: false);
        var prdc = PrecisionRecallDensityCoverage.Compute(realTensor, fakeTensor, new PrecisionRecallDensityCoverageOptions { NearestK = 5, ChunkRows = chunkRows });
        Assert.Equal(expected.Precision, prdc.Precision);
        Assert.Equal(expected.Recall, prdc.Recall);
        Assert.Equal(expected.Density, prdc.Density);
        Assert.Equal(expected.Coverage, prdc.Coverage);
        Assert.InRange(prdc.Precision, 0.05, 0.97); // the sets overlap partly, so the comparison is not vacuous

        var improved = new BruteForce(real, fake, 3).Compute(inclusive: true);
        var ipr = ImprovedPrecisionRecall.Compute(realTensor, fakeTensor, new ImprovedPrecisionRecallOptions { NearestK = 3, ChunkRows = chunkRows });
        Assert.Equal(improved.Precision, ipr.Precision);
        Assert.Equal(improved.Recall, ipr.Recall);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    public void ChunkedEqualsBruteForceWithExactTies(int chunkRows)
    {
        // Small integers: every squared distance is exact in float64, many are tied, some points are duplicates.
        var random = new Random(5);
        var real = Integers(random, 41, 2, 6);
        var fake = Integers(random, 23, 2, 7);
        using var realTensor = ToTensor(real);
        using var fakeTensor = ToTensor(fake);
        foreach (var k in new[] { 1, 3, 5 })
        {
            var strict = new BruteForce(real, fake, k).Compute(inclusive: false);
            var prdc = PrecisionRecallDensityCoverage.Compute(realTensor, fakeTensor, new PrecisionRecallDensityCoverageOptions { NearestK = k, ChunkRows = chunkRows });
            Assert.Equal(strict, (prdc.Precision, prdc.Recall, prdc.Density, prdc.Coverage));

            var inclusive = new BruteForce(real, fake, k).Compute(inclusive: true);
            var ipr = ImprovedPrecisionRecall.Compute(realTensor, fakeTensor, new ImprovedPrecisionRecallOptions { NearestK = k, ChunkRows = chunkRows });
            Assert.Equal((inclusive.Precision, inclusive.Recall), (ipr.Precision, ipr.Recall));
        }
    }

    [Fact]
    public void PointOnTheBoundaryIsOutsideForPrdcAndInsideForImprovedPrecision()
    {
        // Real {0, 2}, k = 1: both radii are 2. Fake {4, 5}: 4 sits exactly on the ball around 2.
        using var real = ToTensor([[0.0], [2.0]]);
        using var fake = ToTensor([[4.0], [5.0]]);
        Assert.Equal(0.0, PrecisionRecallDensityCoverage.Compute(real, fake, new PrecisionRecallDensityCoverageOptions { NearestK = 1 }).Precision);
        Assert.Equal(0.5, ImprovedPrecisionRecall.Compute(real, fake, new ImprovedPrecisionRecallOptions { NearestK = 1 }).Precision);
    }

    [Fact]
    public void IdenticalSetsScorePerfectPrecisionRecallAndCoverage()
    {
        var random = new Random(3);
        using var set = ToTensor(Gaussian(random, 50, 3));
        var prdc = PrecisionRecallDensityCoverage.Compute(set, set);
        Assert.Equal(1.0, prdc.Precision);
        Assert.Equal(1.0, prdc.Recall);
        Assert.Equal(1.0, prdc.Coverage);
    }

    [Fact]
    public void TooFewSamplesForKIsAClearError()
    {
        using var real = ToTensor([[0.0], [1.0], [2.0]]);
        var error = Assert.Throws<ArgumentException>(() => PrecisionRecallDensityCoverage.Compute(real, real));
        Assert.Contains("NearestK = 5 needs at least 6", error.Message);
    }
}
