using GenAudit.Stability;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Stability;

public class PairStabilityTests
{
    [Fact]
    public void RepeatPairsAreExactlyOneForADeterministicGenerator()
    {
        var model = new LinearGenerator(Matrices.Random(7, 4, 1));
        using var generator = new Generator(1);
        var repeat = PairStability.Repeat(model, 300, 128, generator);
        Assert.Equal(1.0, repeat.Similarity);
        Assert.Equal(0.0, repeat.MaxAbsDiff);
        Assert.Null(repeat.Failure);
    }

    [Fact]
    public void RepeatPairsCatchANondeterministicGenerator()
    {
        var model = new NoisyGenerator(new LinearGenerator(Matrices.Random(7, 4, 1)));
        using var generator = new Generator(1);
        var repeat = PairStability.Repeat(model, 100, 64, generator);
        Assert.False(repeat.Identical);
        Assert.True(repeat.MaxAbsDiff > 0);
        Assert.True(repeat.Similarity < 1);
        Assert.Contains("determinism failure", repeat.Failure);
    }

    /// <summary>
    /// Closed form. For G(z) = s·R·z with R orthogonal, norms scale by s and cancel:
    /// sim = 1 − ‖δ‖ / (‖z‖ + ‖z + δ‖) = 1 − r / (ρ + √(ρ² + r² + 2rρc)), with r = ε·√d, ρ = ‖z‖ ~ χ_d and
    /// c the cosine between z and δ, independent of ρ because δ is uniform on the sphere. For d = 4:
    /// p(ρ) = ρ³ e^(−ρ²/2) / 2 and c = cos θ with p(θ) = (2/π) sin²θ on [0, π]. The expectation and the
    /// variance are integrated numerically in doubles; the engine's Monte Carlo mean must lie within
    /// four standard errors.
    /// </summary>
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.3)]
    public void LocalNormalizedL2MatchesItsClosedFormInExpectation(double epsilon)
    {
        const int count = 4000;
        var model = new LinearGenerator(ScaledRotation(2.5, 0.3, 1.1));
        using var generator = new Generator(7);
        var score = Assert.Single(PairStability.Local(model, [epsilon], [SimilarityKind.NormalizedL2], count, 1000, generator));

        var (mean, variance) = ClosedForm(epsilon * Math.Sqrt(4));
        Assert.InRange(score.Mean, mean - 4 * Math.Sqrt(variance / count), mean + 4 * Math.Sqrt(variance / count));
        Assert.Equal("sphere", score.Method);
    }

    /// <summary>
    /// For G = I the worst δ with ‖δ‖ ≤ r points against z: ‖z + δ‖ = ρ − r and the normalised L2
    /// similarity is 1 − r / (2ρ − r) (for r ≤ ρ; it decreases in ‖δ‖, so the optimum is on the sphere).
    /// </summary>
    [Fact]
    public void WorstCaseAscentFindsTheAnalyticWorstPerturbation()
    {
        const double radius = 0.5;
        var model = new LinearGenerator(Matrices.Identity(6));
        using var generator = new Generator(3);
        using var z = randn(new long[] { 64, 6 }, generator: generator);
        var batch = PairStability.WorstCaseBatch(model, z, null, radius, [SimilarityKind.NormalizedL2], new StabilityOptions(), generator, null);
        using var delta = batch.BestDelta;
        var (values, method) = (batch.Values[0], batch.Method);

        Assert.Equal("pga", method);
        for (var i = 0; i < values.Length; i++)
        {
            var rho = Math.Sqrt(Matrices.Row(z, i).Sum(x => x * x));
            var optimum = rho >= radius ? 1 - radius / (2 * rho - radius) : 0;
            Assert.InRange(values[i], optimum - 1e-5, optimum + 1e-3);
        }
    }

    [Fact]
    public void NonDifferentiableModelsGetARandomSearchThatNeverBeatsTheOptimum()
    {
        const double radius = 0.5;
        var model = new LinearGenerator(Matrices.Identity(3), differentiable: false);
        using var generator = new Generator(3);
        using var z = randn(new long[] { 32, 3 }, generator: generator);
        var batch = PairStability.WorstCaseBatch(model, z, null, radius, [SimilarityKind.NormalizedL2],
            new StabilityOptions { RandomSearchBudget = 200 }, generator, null);
        using var delta = batch.BestDelta;
        var (values, method) = (batch.Values[0], batch.Method);

        Assert.Equal("randomSearch", method);
        var gaps = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var rho = Math.Sqrt(Matrices.Row(z, i).Sum(x => x * x));
            var optimum = rho >= radius ? 1 - radius / (2 * rho - radius) : 0;
            Assert.True(values[i] >= optimum - 1e-5, $"sample {i}: {values[i]} beats the optimum {optimum}");
            gaps[i] = values[i] - optimum;
        }
        // 200 directions in 3D come within about 0.15 rad of the worst one.
        Assert.True(gaps.Average() < 0.01, $"mean gap to the optimum {gaps.Average()}");
    }

    static double[,] ScaledRotation(double scale, double angle1, double angle2)
    {
        var a = new double[4, 4];
        a[0, 0] = a[1, 1] = scale * Math.Cos(angle1);
        a[0, 1] = -scale * Math.Sin(angle1);
        a[1, 0] = scale * Math.Sin(angle1);
        a[2, 2] = a[3, 3] = scale * Math.Cos(angle2);
        a[2, 3] = -scale * Math.Sin(angle2);
        a[3, 2] = scale * Math.Sin(angle2);
        return a;
    }

    static (double Mean, double Variance) ClosedForm(double r)
    {
        const int rhoSteps = 6000, thetaSteps = 600;
        const double rhoMax = 12;
        double first = 0, second = 0;
        var dRho = rhoMax / rhoSteps;
        var dTheta = Math.PI / thetaSteps;
        for (var i = 0; i < rhoSteps; i++)
        {
            var rho = (i + 0.5) * dRho;
            var pRho = rho * rho * rho * Math.Exp(-rho * rho / 2) / 2 * dRho;
            for (var j = 0; j < thetaSteps; j++)
            {
                var theta = (j + 0.5) * dTheta;
                var weight = pRho * 2 / Math.PI * Math.Sin(theta) * Math.Sin(theta) * dTheta;
                var similarity = 1 - r / (rho + Math.Sqrt(rho * rho + r * r + 2 * r * rho * Math.Cos(theta)));
                first += weight * similarity;
                second += weight * similarity * similarity;
            }
        }
        return (first, second - first * first);
    }
}
