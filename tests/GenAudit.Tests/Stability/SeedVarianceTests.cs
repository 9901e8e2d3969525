using GenAudit.Stability;

namespace GenAudit.Tests.Stability;

public class SeedVarianceTests
{
    [Fact]
    public void HandWorkedMeanStdAndCoefficientOfVariation()
    {
        // 1, 2, 3, 4: mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5; std √(5/3) = 1.2909944…; cv = 0.5163978…
        var statistics = SeedVariance.Compute([1, 2, 3, 4]);
        Assert.Equal(2.5, statistics.Mean, 12);
        Assert.Equal(1.2909944487358056, statistics.Std!.Value, 12);
        Assert.Equal(0.5163977794943222, statistics.CoefficientOfVariation!.Value, 12);
        Assert.Equal(4, statistics.Count);
    }

    [Fact]
    public void OneRunHasNoSpreadAndAZeroMeanNoCoefficientOfVariation()
    {
        Assert.Null(SeedVariance.Compute([3.0]).Std);
        var zeroMean = SeedVariance.Compute([-1, 1]);
        Assert.Equal(Math.Sqrt(2), zeroMean.Std!.Value, 12);
        Assert.Null(zeroMean.CoefficientOfVariation);
    }

    [Fact]
    public void AcrossRunsUsesTheNumericKeysAllRunsShare()
    {
        var runs = new IReadOnlyDictionary<string, object?>[]
        {
            new Dictionary<string, object?> { ["fid"] = 10.0, ["ppl"] = 1.0, ["note"] = "x", ["only"] = 1.0 },
            new Dictionary<string, object?> { ["fid"] = 14.0, ["ppl"] = 3.0, ["note"] = "y" },
        };
        var statistics = SeedVariance.Across(runs);
        Assert.Equal(["fid", "ppl"], statistics.Keys.ToArray());
        Assert.Equal(12.0, statistics["fid"].Mean);
        Assert.Equal(Math.Sqrt(8), statistics["fid"].Std!.Value, 12);
    }
}
