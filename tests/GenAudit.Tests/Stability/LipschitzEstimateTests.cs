using GenAudit.Stability;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Stability;

public class LipschitzEstimateTests
{
    [Fact]
    public void PowerIterationReachesTheLargestSingularValue()
    {
        var a = Matrices.Random(8, 5, 11);
        var sigma = Matrices.LargestSingularValue(a);
        var model = new LinearGenerator(a);
        using var generator = new Generator(5);
        using var z = randn(new long[] { 32, 5 }, generator: generator);
        foreach (var estimate in LipschitzEstimate.PowerIteration(model, z, null, 30, generator))
            Assert.InRange(estimate, 0.98 * sigma, 1.0001 * sigma);
    }

    [Fact]
    public void EstimatesApproachTheLargestSingularValueFromBelow()
    {
        // A small latent space, so that 1,000 random directions come within 2% of the top singular vector.
        var a = Matrices.Random(6, 3, 4);
        var sigma = Matrices.LargestSingularValue(a);
        var model = new LinearGenerator(a);
        using var generator = new Generator(9);
        var result = LipschitzEstimate.Compute(model, 1000, 64, 1e-3, 30, 500, generator);

        Assert.Equal("powerIteration", result.WorstMethod);
        Assert.InRange(result.Max, 0.98 * sigma, 1.001 * sigma);
        Assert.InRange(result.Worst, 0.98 * sigma, 1.0001 * sigma);
        Assert.True(result.Mean < result.Max);
    }

    [Fact]
    public void NonDifferentiableModelsFallBackToRandomDirections()
    {
        var model = new LinearGenerator(Matrices.Random(6, 3, 4), differentiable: false);
        using var generator = new Generator(9);
        var result = LipschitzEstimate.Compute(model, 200, 64, 1e-3, 10, 100, generator);
        Assert.Equal("randomDirections", result.WorstMethod);
        Assert.Equal(result.Max, result.Worst);
    }
}
