using GenAudit.Audit;
using GenAudit.Metrics;

namespace GenAudit.Tests.Audit;

/// <summary>Relative bounds, intervals and uncertainty of the policy, on hand-made values.</summary>
public class PolicyRatioTests
{
    static ConfidenceInterval Interval(double lower, double upper) => new(lower, upper, 0.95, 200, "test");

    [Theory]
    [InlineData("""{"repeat": {"maxRatio": 2}}""", "repeat", "no real-row value")]
    [InlineData("""{"copies.fraction": {"maxRatio": 2}}""", "copies.fraction", "near 0 by design")]
    [InlineData("""{"fid": {"maxRatio": 0}}""", "fid", "must be positive")]
    [InlineData("""{"fid": {"maxRatio": -3}}""", "fid", "must be positive")]
    [InlineData("""{"precision": {"minRatio": 1.2, "maxRatio": 1.1}}""", "precision", "minRatio 1.2 is greater than maxRatio 1.1")]
    [InlineData("""{"fid": {"ratio": 3}}""", "fid", "unknown field 'ratio'")]
    [InlineData("""{"fid": {"maxRatio": "3"}}""", "fid", "must be a finite number")]
    [InlineData("""{"fid": {}}""", "fid", "give \"min\", \"max\", \"minRatio\" or \"maxRatio\"")]
    public void MalformedRelativeBoundsAreRefusedNamingTheKey(string json, string key, string message)
    {
        var error = Assert.Throws<PolicyException>(() => Policy.Parse(json, "p.json"));
        Assert.Equal(key, error.Key);
        Assert.Contains($"key '{key}'", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void RelativeBoundsRoundTripThroughJson()
    {
        var policy = Policy.Parse("""{"fid": {"maxRatio": 3}, "precision": {"min": 0.5, "minRatio": 0.9}}""", "p");
        Assert.Equal("≤ 3× real", policy.Thresholds[0].Describe());
        Assert.Equal("≥ 0.5 and ≥ 0.9× real", policy.Thresholds[1].Describe());
        var again = Policy.Parse(policy.ToJson(), "again");
        Assert.Equal(policy.Thresholds, again.Thresholds);
    }

    [Fact]
    public void RatioVerdictsUseValueOverRealWithMarginsInValueUnits()
    {
        var policy = Policy.Parse("""{"fid": {"maxRatio": 3}, "precision": {"minRatio": 0.9}, "coverage": {"min": 0.3, "minRatio": 0.5}}""", "p");
        var real = new Dictionary<string, double> { ["fid"] = 11, ["precision"] = 0.8, ["coverage"] = 0.9 };
        var pass = policy.Evaluate(new Measurements { Values = new Dictionary<string, double> { ["fid"] = 30, ["precision"] = 0.73, ["coverage"] = 0.5 }, Real = real });
        // fid ≤ 3 × 11 = 33; precision ≥ 0.9 × 0.8 = 0.72; coverage ≥ max(0.3, 0.5 × 0.9 = 0.45).
        Assert.All(pass, v => Assert.Equal(VerdictStatus.Pass, v.Status));
        Assert.Equal(3, pass[0].Margin!.Value, 12);
        Assert.Equal(0.01, pass[1].Margin!.Value, 12);
        Assert.Equal(0.05, pass[2].Margin!.Value, 12);
        Assert.Equal(11, pass[0].RealValue);

        var fail = policy.Evaluate(new Measurements { Values = new Dictionary<string, double> { ["fid"] = 40, ["precision"] = 0.7, ["coverage"] = 0.4 }, Real = real });
        Assert.All(fail, v => Assert.Equal(VerdictStatus.Fail, v.Status));
        Assert.Equal(-7, fail[0].Margin!.Value, 12);
        Assert.Equal(-0.02, fail[1].Margin!.Value, 12);
        Assert.Equal(-0.05, fail[2].Margin!.Value, 12);
    }

    [Fact]
    public void RelativeBoundWithoutRealRowIsNotApplicableWithTheReason()
    {
        var policy = Policy.Parse("""{"fid": {"maxRatio": 3}, "coverage": {"min": 0.3, "minRatio": 0.5}}""", "p");
        var verdicts = policy.Evaluate(new Measurements
        {
            Values = new Dictionary<string, double> { ["fid"] = 300, ["coverage"] = 0.2 },
            NoRealRowReason = "'ring8' has no held-out split",
        });
        Assert.Equal(VerdictStatus.NotApplicable, verdicts[0].Status);
        Assert.Contains("no held-out split", verdicts[0].Reason);
        // The absolute part still judges: 0.2 < 0.3.
        Assert.Equal(VerdictStatus.Fail, verdicts[1].Status);
        Assert.Equal(-0.1, verdicts[1].Margin!.Value, 12);
        Assert.Contains("relative bound not applicable", verdicts[1].Reason);
    }

    [Fact]
    public void IntervalThatStraddlesTheEffectiveBoundIsUncertain()
    {
        var policy = Policy.Parse("""{"precision": {"minRatio": 0.9}, "fid": {"max": 20}, "coverage": {"min": 0.5}}""", "p");
        var verdicts = policy.Evaluate(new Measurements
        {
            Values = new Dictionary<string, double> { ["precision"] = 0.73, ["fid"] = 21, ["coverage"] = 0.6 },
            Real = new Dictionary<string, double> { ["precision"] = 0.8 },
            Intervals = new Dictionary<string, ConfidenceInterval>
            {
                ["precision"] = Interval(0.70, 0.76), // straddles 0.72
                ["fid"] = Interval(19, 23),           // straddles 20
                ["coverage"] = Interval(0.5, 0.7),    // touches 0.5 but does not cross it
            },
        });
        Assert.Equal((VerdictStatus.Pass, true), (verdicts[0].Status, verdicts[0].Uncertain));
        Assert.True(verdicts[0].PassedUnder(strict: false));
        Assert.False(verdicts[0].PassedUnder(strict: true));
        Assert.Equal("pass (uncertain)", verdicts[0].StatusText);
        Assert.Equal((VerdictStatus.Fail, true), (verdicts[1].Status, verdicts[1].Uncertain));
        Assert.False(verdicts[1].PassedUnder(strict: false));
        Assert.Equal((VerdictStatus.Pass, false), (verdicts[2].Status, verdicts[2].Uncertain));
        Assert.True(verdicts[2].PassedUnder(strict: true));
    }

    [Fact]
    public void EveryKeyWithARatioHasARealValueInTheRealRow()
    {
        // The catalog's keys with a real value, each produced by the real row of its output kind: images by
        // QualityEvaluation, token sequences by TextSetMeasures (and the oracle's NLL), series by TimeSeriesEvaluation.
        var withReal = MetricCatalog.All.Where(e => e.Real != RealRowUse.None).Select(e => e.Key).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[]
        {
            "authenticity", "bleu.*", "classes.covered", "classes.kl", "conditionAccuracy", "copies.fraction", "copies.verbatim.test",
            "coverage", "density", "distinct.*", "fid", "improvedPrecision", "improvedRecall", "isScore", "kid.mean", "modes.captured",
            "modes.highQuality", "modes.reverseKl", "nll.oracle", "precision", "recall", "selfBleu.*", "series.autocorrelationError",
            "series.crossCorrelationError", "series.discriminative", "series.predictive",
        }, withReal);

        // Token keys: what TextSetMeasures reports for a small corpus, matched against the catalog's patterns.
        long[][] training = [[1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 6]], heldOut = [[1, 2, 3, 5], [4, 5, 6, 1]];
        var measured = new TextSetMeasures(training, heldOut).Measure(training).Keys.ToArray();
        foreach (var key in withReal.Where(k => k.StartsWith("bleu.", StringComparison.Ordinal) || k.StartsWith("selfBleu.", StringComparison.Ordinal)
                                               || k.StartsWith("distinct.", StringComparison.Ordinal) || k.StartsWith("copies.verbatim.", StringComparison.Ordinal)))
            Assert.Contains(measured, m => MetricCatalog.Find(m)?.Key == key);

        var images = withReal.Where(k => !k.StartsWith("series.", StringComparison.Ordinal) && !k.Contains('*') && !k.StartsWith("copies.verbatim.", StringComparison.Ordinal) && k != "nll.oracle");
        Assert.All(images, k => Assert.Contains(k, QualityEvaluation.Keys));
    }
}
