using GenAudit.Metrics;

namespace GenAudit.Tests.Metrics;

public class BootstrapTests
{
    [Fact]
    public void IntervalOfAMeanMatchesTheNormalApproximation()
    {
        // For the mean of n = 400 values the bootstrap distribution is close to N(mean, s²/n), so the
        // percentile interval is close to mean ± 1.96 s/√n (Efron and Tibshirani 1993, §13.3).
        var random = new Random(7);
        var values = Enumerable.Range(0, 400).Select(_ => 3 + 2 * MetricTestData.StandardNormal(random)).ToArray();
        var mean = values.Average();
        var s = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
        var halfWidth = 1.959964 * s / Math.Sqrt(values.Length);

        var interval = Bootstrap.OfMean(values, "values", seed: 11, resamples: 2000)!;
        Assert.Equal(mean - halfWidth, interval.Lower, 0.15 * halfWidth);
        Assert.Equal(mean + halfWidth, interval.Upper, 0.15 * halfWidth);
        Assert.Equal(2000, interval.Resamples);
        Assert.Equal(interval, Bootstrap.OfMean(values, "values", seed: 11, resamples: 2000)); // seeded
    }

    [Fact]
    public void IntervalsOfFractionsAndConstantsAreExact()
    {
        // A constant statistic has a zero-width interval; a fraction of 0/1 flags stays within [0, 1].
        var constant = Bootstrap.OfMean(Enumerable.Repeat(0.25, 50).ToArray(), "x", seed: 1)!;
        Assert.Equal((0.25, 0.25), (constant.Lower, constant.Upper));
        var flags = Enumerable.Range(0, 100).Select(i => i < 30 ? 1.0 : 0.0).ToArray();
        var fraction = Bootstrap.OfMean(flags, "x", seed: 2)!;
        Assert.InRange(fraction.Lower, 0.15, 0.3);
        Assert.InRange(fraction.Upper, 0.3, 0.45);
        Assert.False(fraction.Straddles(fraction.Lower));
        Assert.True(fraction.Straddles(0.3));
    }

    [Fact]
    public void QuantilesInterpolateLikeNumpy()
    {
        // numpy.quantile([1, 2, 3, 4, 5], [0.025, 0.25, 0.975]) = [1.1, 2, 4.9]
        double[] sorted = [1, 2, 3, 4, 5];
        Assert.Equal(1.1, Bootstrap.Quantile(sorted, 0.025), 12);
        Assert.Equal(2.0, Bootstrap.Quantile(sorted, 0.25), 12);
        Assert.Equal(4.9, Bootstrap.Quantile(sorted, 0.975), 12);
    }

    [Fact]
    public void UndefinedStatisticGivesNoInterval() =>
        Assert.Null(Bootstrap.Percentile(10, draw => draw[0] == 0 ? double.NaN : 1, "x", seed: 3));
}
