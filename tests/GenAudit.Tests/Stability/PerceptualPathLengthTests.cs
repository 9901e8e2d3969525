using GenAudit.Stability;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Stability;

public class PerceptualPathLengthTests
{
    const double Epsilon = 1e-4;

    /// <summary>
    /// Closed form. For G(z) = s·z and endpoints of equal norm ρ at angle Ω, slerp moves along a great
    /// circle at constant speed: ‖d/dt z(t)‖ = Ω·ρ (from cos²a + cos²b − 2 cos a cos b cos(a+b) = sin²(a+b)
    /// with a = (1−t)Ω, b = tΩ). So ‖G(z(t+ε)) − G(z(t))‖² / ε² → s²·Ω²·ρ² for every t.
    /// </summary>
    [Fact]
    public void SlerpOnALinearGeneratorMatchesTheArcLengthClosedForm()
    {
        const double scale = 1.5;
        var model = new LinearGenerator(Matrices.Identity(4, scale));
        var (z0, z1, omegas, rho) = EqualNormPairs(48);
        using var t = rand(new long[] { 48 }, ScalarType.Float64, generator: new Generator(2));
        var distances = PerceptualPathLength.Distances(model, z0, z1, t, null, 16, Epsilon, LatentInterpolation.Slerp);
        for (var i = 0; i < distances.Length; i++)
        {
            var expected = scale * scale * omegas[i] * omegas[i] * rho * rho;
            Assert.InRange(distances[i], 0.98 * expected, 1.02 * expected);
        }
    }

    [Theory]
    [InlineData(LatentInterpolation.Slerp)]
    [InlineData(LatentInterpolation.Lerp)]
    public void DistancesMatchTheFiniteDifferenceInDoubles(LatentInterpolation interpolation)
    {
        var a = Matrices.Random(5, 4, 21);
        var model = new LinearGenerator(a);
        using var generator = new Generator(4);
        using var z0 = randn(new long[] { 40, 4 }, generator: generator);
        using var z1 = randn(new long[] { 40, 4 }, generator: generator);
        using var t = rand(new long[] { 40 }, ScalarType.Float64, generator: generator);
        var distances = PerceptualPathLength.Distances(model, z0, z1, t, null, 16, Epsilon, interpolation);
        var times = t.data<double>().ToArray();
        for (var i = 0; i < distances.Length; i++)
        {
            var p0 = Point(Matrices.Row(z0, i), Matrices.Row(z1, i), times[i], interpolation);
            var p1 = Point(Matrices.Row(z0, i), Matrices.Row(z1, i), times[i] + Epsilon, interpolation);
            var expected = 0.0;
            for (var r = 0; r < 5; r++)
            {
                var change = 0.0;
                for (var c = 0; c < 4; c++) change += a[r, c] * (p1[c] - p0[c]);
                expected += change * change;
            }
            expected /= Epsilon * Epsilon;
            Assert.InRange(distances[i], 0.98 * expected - 1e-6, 1.02 * expected + 1e-6);
        }
    }

    [Fact]
    public void TrimmingKeepsTheFirstToNinetyNinthPercentile()
    {
        // 201 values: numpy's lower 1st percentile is the 3rd value, the higher 99th the 199th.
        var values = Enumerable.Range(1, 201).Select(v => (double)v).ToArray();
        values[200] = 1e9;
        values[0] = -1e9;
        Assert.Equal(101.0, PerceptualPathLength.TrimmedMean(values), 12);
    }

    [Fact]
    public void ConditionalModelsGetOnePathLengthPerCondition()
    {
        var model = new LinearGenerator(Matrices.Identity(3), conditionOffsets: new double[,] { { 5, 0, 0 }, { 0, 5, 0 } });
        using var generator = new Generator(8);
        var result = PerceptualPathLength.Compute(model, 200, 64, Epsilon, LatentInterpolation.Slerp, generator);
        Assert.Equal(2, result.PerCondition!.Count);
        Assert.Equal(result.PerCondition.Average(), result.Value, 12);
        Assert.All(result.PerCondition, v => Assert.True(v > 0));
    }

    // Pairs of equal norm: z1 is z0 rotated by Ω in the plane of z0 and a random orthogonal direction.
    static (Tensor Z0, Tensor Z1, double[] Omegas, double Rho) EqualNormPairs(int count)
    {
        const double rho = 2.0;
        var random = new Random(12);
        var z0 = new float[count * 4];
        var z1 = new float[count * 4];
        var omegas = new double[count];
        for (var i = 0; i < count; i++)
        {
            var u = Normalised(Enumerable.Range(0, 4).Select(_ => random.NextDouble() - 0.5).ToArray());
            var w = Enumerable.Range(0, 4).Select(_ => random.NextDouble() - 0.5).ToArray();
            var dot = u.Zip(w, (x, y) => x * y).Sum();
            w = Normalised(w.Zip(u, (x, y) => x - dot * y).ToArray());
            omegas[i] = 0.2 + 2.5 * random.NextDouble();
            for (var c = 0; c < 4; c++)
            {
                z0[i * 4 + c] = (float)(rho * u[c]);
                z1[i * 4 + c] = (float)(rho * (Math.Cos(omegas[i]) * u[c] + Math.Sin(omegas[i]) * w[c]));
            }
        }
        return (tensor(z0, new long[] { count, 4 }), tensor(z1, new long[] { count, 4 }), omegas, rho);
    }

    static double[] Normalised(double[] v)
    {
        var norm = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    static double[] Point(double[] z0, double[] z1, double t, LatentInterpolation interpolation)
    {
        if (interpolation == LatentInterpolation.Lerp) return z0.Zip(z1, (a, b) => a + t * (b - a)).ToArray();
        var cosine = z0.Zip(z1, (a, b) => a * b).Sum() / Math.Sqrt(z0.Sum(x => x * x) * z1.Sum(x => x * x));
        var omega = Math.Acos(Math.Clamp(cosine, -1, 1));
        return z0.Zip(z1, (a, b) => Math.Sin((1 - t) * omega) / Math.Sin(omega) * a + Math.Sin(t * omega) / Math.Sin(omega) * b).ToArray();
    }
}
