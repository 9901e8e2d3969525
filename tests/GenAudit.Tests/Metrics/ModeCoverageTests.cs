using GenAudit.Metrics;
using static GenAudit.Tests.Metrics.MetricTestData;

namespace GenAudit.Tests.Metrics;

public class ModeCoverageTests
{
    static readonly double[][] Means = [[0, 0], [10, 0], [0, 10]];

    [Fact]
    public void HandMadePoints()
    {
        // (0.5, 0) → mode 0 at 0.5σ; (10, 2.9) → mode 1 at 2.9σ; (0, 13.5) → mode 2 at 3.5σ, not high quality;
        // (5, 5) → 7.07σ from every mode; (0, 7.0) is exactly 3σ from mode 2: strict <, so not high quality.
        using var points = ToTensor([[0.5, 0], [10, 2.9], [0, 13.5], [5, 5], [0, 7.0]]);
        using var means = ToTensor(Means);
        var result = ModeCoverage.Compute(points, means, standardDeviation: 1.0);
        Assert.Equal(2, result.ModesCaptured);
        Assert.Equal(3, result.ModeCount);
        Assert.Equal(0.4, result.HighQualityFraction, 1e-15);
        Assert.Equal([1L, 1L, 0L], result.ModeHistogram);
        Assert.Equal(Math.Log(1.5), result.ReverseKl!.Value, 1e-12); // q = (½, ½, 0): 2 · ½ ln(½ · 3)
    }

    [Fact]
    public void CollapseOntoOneModeGivesLogModeCount()
    {
        using var points = ToTensor([[0.1, 0.2], [-0.3, 0.1], [0.0, 0.0]]);
        using var means = ToTensor(Means, TorchSharp.torch.ScalarType.Float32);
        var result = ModeCoverage.Compute(points, means, standardDeviation: 0.5);
        Assert.Equal(1, result.ModesCaptured);
        Assert.Equal(1.0, result.HighQualityFraction);
        Assert.Equal(Math.Log(3), result.ReverseKl!.Value, 1e-12);
    }

    [Fact]
    public void UniformOverModesGivesZeroKl()
    {
        using var points = ToTensor([[0, 0], [10, 0], [0, 10], [0.1, 0], [10.1, 0], [0, 10.1]]);
        using var means = ToTensor(Means);
        var result = ModeCoverage.Compute(points, means, standardDeviation: 1.0);
        Assert.Equal(3, result.ModesCaptured);
        Assert.Equal(0.0, result.ReverseKl!.Value, 1e-15);
    }

    [Fact]
    public void NoHighQualitySampleLeavesKlUndefined()
    {
        using var points = ToTensor([[5, 5], [50, 50]]);
        using var means = ToTensor(Means);
        var result = ModeCoverage.Compute(points, means, standardDeviation: 1.0);
        Assert.Equal(0, result.ModesCaptured);
        Assert.Equal(0.0, result.HighQualityFraction);
        Assert.Null(result.ReverseKl);
    }
}
