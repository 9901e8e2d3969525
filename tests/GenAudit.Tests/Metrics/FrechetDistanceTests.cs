using GenAudit.Metrics;
using static GenAudit.Tests.Metrics.MetricTestData;

namespace GenAudit.Tests.Metrics;

public class FrechetDistanceTests
{
    static double[,] Multiply(double[,] a, double[,] b)
    {
        var n = a.GetLength(0);
        var c = new double[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                for (var k = 0; k < n; k++) c[i, j] += a[i, k] * b[k, j];
        return c;
    }

    static double[,] Inverse(double[,] a)
    {
        var n = a.GetLength(0);
        var m = new double[n, 2 * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++) m[i, j] = a[i, j];
            m[i, n + i] = 1;
        }
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < n; r++) if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col])) pivot = r;
            for (var j = 0; j < 2 * n; j++) (m[col, j], m[pivot, j]) = (m[pivot, j], m[col, j]);
            var p = m[col, col];
            for (var j = 0; j < 2 * n; j++) m[col, j] /= p;
            for (var r = 0; r < n; r++)
            {
                if (r == col) continue;
                var f = m[r, col];
                for (var j = 0; j < 2 * n; j++) m[r, j] -= f * m[col, j];
            }
        }
        var inverse = new double[n, n];
        for (var i = 0; i < n; i++) for (var j = 0; j < n; j++) inverse[i, j] = m[i, n + j];
        return inverse;
    }

    /// <summary>Denman–Beavers iteration: Y → A^½ for a matrix with eigenvalues off the closed negative real axis.</summary>
    static double[,] SquareRoot(double[,] a)
    {
        var n = a.GetLength(0);
        var y = (double[,])a.Clone();
        var z = new double[n, n];
        for (var i = 0; i < n; i++) z[i, i] = 1;
        for (var iteration = 0; iteration < 100; iteration++)
        {
            var yInverse = Inverse(y);
            var zInverse = Inverse(z);
            var change = 0.0;
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                {
                    var next = 0.5 * (y[i, j] + zInverse[i, j]);
                    change = Math.Max(change, Math.Abs(next - y[i, j]));
                    y[i, j] = next;
                    z[i, j] = 0.5 * (z[i, j] + yInverse[i, j]);
                }
            if (change < 1e-15) break;
        }
        return y;
    }

    static double Trace(double[,] a) => Enumerable.Range(0, a.GetLength(0)).Sum(i => a[i, i]);

    /// <summary>‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½) with the square root of the non-symmetric product by Denman–Beavers.</summary>
    static double ClosedForm(double[] mean1, double[,] sigma1, double[] mean2, double[,] sigma2) =>
        mean1.Zip(mean2, (a, b) => (a - b) * (a - b)).Sum() + Trace(sigma1) + Trace(sigma2) - 2 * Trace(SquareRoot(Multiply(sigma1, sigma2)));

    static double[,] RandomSpd(Random random, int d)
    {
        var b = new double[d, d];
        for (var i = 0; i < d; i++) for (var j = 0; j < d; j++) b[i, j] = StandardNormal(random);
        var a = new double[d, d];
        for (var i = 0; i < d; i++)
            for (var j = 0; j < d; j++)
            {
                for (var k = 0; k < d; k++) a[i, j] += b[i, k] * b[j, k];
                if (i == j) a[i, j] += 0.5;
            }
        return a;
    }

    static (double[] Mean, double[,] Covariance) SampleStatistics(double[][] rows)
    {
        int n = rows.Length, d = rows[0].Length;
        var mean = new double[d];
        foreach (var r in rows) for (var j = 0; j < d; j++) mean[j] += r[j] / n;
        var covariance = new double[d, d];
        foreach (var r in rows)
            for (var i = 0; i < d; i++)
                for (var j = 0; j < d; j++) covariance[i, j] += (r[i] - mean[i]) * (r[j] - mean[j]) / (n - 1);
        return (mean, covariance);
    }

    static void AssertRelative(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void DiagonalCovariancesMatchSumOfSquaredRootDifferences()
    {
        double[] a = [0.5, 2.0, 9.0, 1e-3], b = [4.0, 2.0, 1.0, 0.25];
        double[] mean1 = [1, 2, 3, 4], mean2 = [0, 2, 5, 4.5];
        var sigma1 = new double[4, 4];
        var sigma2 = new double[4, 4];
        for (var i = 0; i < 4; i++) (sigma1[i, i], sigma2[i, i]) = (a[i], b[i]);
        var expected = 1 + 0 + 4 + 0.25 + a.Zip(b, (x, y) => (Math.Sqrt(x) - Math.Sqrt(y)) * (Math.Sqrt(x) - Math.Sqrt(y))).Sum();

        var fid = FrechetDistance.Compute(new GaussianStatistics(mean1, sigma1, 100), new GaussianStatistics(mean2, sigma2, 100));
        AssertRelative(expected, fid.Distance, 1e-6);
        AssertRelative(5.25, fid.MeanTerm, 1e-12);
    }

    [Fact]
    public void GeneralCovariancesMatchDenmanBeaversClosedForm()
    {
        var random = new Random(21);
        const int d = 6;
        var sigma1 = RandomSpd(random, d);
        var sigma2 = RandomSpd(random, d);
        var mean1 = Enumerable.Range(0, d).Select(_ => StandardNormal(random)).ToArray();
        var mean2 = Enumerable.Range(0, d).Select(_ => StandardNormal(random)).ToArray();

        var fid = FrechetDistance.Compute(new GaussianStatistics(mean1, sigma1, 100), new GaussianStatistics(mean2, sigma2, 100));
        AssertRelative(ClosedForm(mean1, sigma1, mean2, sigma2), fid.Distance, 1e-6);
    }

    [Fact]
    public void FeatureFidMatchesClosedFormOfSampleStatistics()
    {
        var random = new Random(8);
        var real = Gaussian(random, 300, 5);
        var fake = Gaussian(random, 250, 5, shift: 0.3).Select(r => r.Select((v, j) => v * (1 + 0.2 * j) + 0.5 * r[0]).ToArray()).ToArray();
        var (mean1, sigma1) = SampleStatistics(real);
        var (mean2, sigma2) = SampleStatistics(fake);
        using var realTensor = ToTensor(real);
        using var fakeTensor = ToTensor(fake);

        var fid = FrechetDistance.Compute(realTensor, fakeTensor);
        AssertRelative(ClosedForm(mean1, sigma1, mean2, sigma2), fid.Distance, 1e-6);
        Assert.Equal((300, 250), (fid.RealCount, fid.FakeCount));
    }

    [Fact]
    public void StatisticsAreTheMeanAndUnbiasedCovariance()
    {
        var rows = Gaussian(new Random(4), 40, 3);
        var (mean, covariance) = SampleStatistics(rows);
        using var features = ToTensor(rows, TorchSharp.torch.ScalarType.Float64);
        var statistics = FrechetDistance.ComputeStatistics(features);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(mean[i], statistics.Mean[i], 1e-12);
            for (var j = 0; j < 3; j++) Assert.Equal(covariance[i, j], statistics.Covariance[i, j], 1e-12);
        }
    }

    [Fact]
    public void SetAgainstItselfIsZero()
    {
        var random = new Random(2);
        using var features = ToTensor(Gaussian(random, 1000, 64), TorchSharp.torch.ScalarType.Float32);
        var fid = FrechetDistance.Compute(features, features);
        Assert.InRange(fid.Distance, 0.0, 1e-6);
    }

    [Fact]
    public void TooFewSamplesAreAClearError()
    {
        var random = new Random(1);
        using var one = ToTensor(Gaussian(random, 1, 3));
        Assert.Contains("at least 2", Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(one, one)).Message);

        using var narrow = ToTensor(Gaussian(random, 8, 8));
        var error = Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(narrow, narrow));
        Assert.Contains("rank-deficient", error.Message);
        Assert.Contains("at least 9", error.Message);
        Assert.InRange(FrechetDistance.Compute(narrow, narrow, allowRankDeficient: true).Distance, 0.0, 1e-9);
    }

    [Fact]
    public void IndefiniteCovarianceIsRejected()
    {
        var bad = new double[,] { { 1, 2 }, { 2, 1 } };
        var good = new double[,] { { 1, 0 }, { 0, 1 } };
        var error = Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(new GaussianStatistics([0, 0], bad, 10), new GaussianStatistics([0, 0], good, 10)));
        Assert.Contains("not positive semidefinite", error.Message);
    }
}

/// <summary>FID against scipy's recipe (numpy.cov and scipy.linalg.sqrtm of Σ₁Σ₂) on committed feature sets (tools/fixtures/make_fid_fixtures.py).</summary>
public class FrechetDistanceReferenceTests
{
    const string File = "fid_scipy.json";

    public static TheoryData<string> Cases => ReferenceFixtures.Names(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesScipySqrtmRecipe(string name)
    {
        var fixture = ReferenceFixtures.Case(File, name);
        var d = fixture.GetProperty("dimension").GetInt64();
        var real = fixture.Doubles("real");
        var fake = fixture.Doubles("fake");
        using var realFeatures = TorchSharp.torch.tensor(real, [real.Length / d, d], TorchSharp.torch.ScalarType.Float64);
        using var fakeFeatures = TorchSharp.torch.tensor(fake, [fake.Length / d, d], TorchSharp.torch.ScalarType.Float64);
        var result = FrechetDistance.Compute(realFeatures, fakeFeatures);
        // scipy's sqrtm (Schur method) and GenAudit's two symmetric eigendecompositions agree to rounding.
        AssertClose(fixture.GetProperty("meanTerm").GetDouble(), result.MeanTerm);
        AssertClose(fixture.GetProperty("covarianceTerm").GetDouble(), result.CovarianceTerm);
        AssertClose(fixture.GetProperty("fid").GetDouble(), result.Distance);
    }

    static void AssertClose(double expected, double actual) =>
        Assert.Equal(expected, actual, 1e-9 * Math.Max(1, Math.Abs(expected)));
}
