using GenAudit.Metrics;
using static GenAudit.Tests.Metrics.MetricTestData;

namespace GenAudit.Tests.Metrics;

public class InceptionScoreTests
{
    [Fact]
    public void ConfidentAndBalancedPredictionsScoreTheClassCount()
    {
        using var p = ToTensor([[1, 0], [0, 1]]);
        Assert.Equal(2.0, InceptionScore.Compute(p, splits: 1).Mean, 1e-12);
    }

    [Fact]
    public void UninformativePredictionsScoreOne()
    {
        using var p = ToTensor([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]);
        Assert.Equal(1.0, InceptionScore.Compute(p, splits: 1).Mean, 1e-12);
    }

    [Fact]
    public void HandWorkedExample()
    {
        // p(y) = (0.55, 0.45); KL₁ = 0.9 ln(0.9/0.55) + 0.1 ln(0.1/0.45); KL₂ = 0.2 ln(0.2/0.55) + 0.8 ln(0.8/0.45).
        using var p = ToTensor([[0.9, 0.1], [0.2, 0.8]], TorchSharp.torch.ScalarType.Float32);
        var kl1 = 0.9 * Math.Log(0.9 / 0.55) + 0.1 * Math.Log(0.1 / 0.45);
        var kl2 = 0.2 * Math.Log(0.2 / 0.55) + 0.8 * Math.Log(0.8 / 0.45);
        Assert.Equal(Math.Exp((kl1 + kl2) / 2), InceptionScore.Compute(p, splits: 1).Mean, 1e-6); // float32 input
    }

    [Fact]
    public void SplitsAreContiguousParts()
    {
        // Split 1 = rows 0-1 (score 2), split 2 = rows 2-4 (all one class, score 1).
        using var p = ToTensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1]]);
        var score = InceptionScore.Compute(p, splits: 2);
        Assert.Equal([2.0, 1.0], score.SplitScores.Select(s => Math.Round(s, 12)));
        Assert.Equal(1.5, score.Mean, 1e-12);
        Assert.Equal(0.5, score.StandardDeviation, 1e-12);
    }

    [Fact]
    public void DefaultIsTenSplitsReportedAsMeanAndStandardDeviation()
    {
        // 20 rows in ten contiguous pairs: the first five pairs are two confident different classes
        // (score 2), the last five one class twice (score 1). One split over all rows would give
        // exp(KL) with p(y) = (0.75, 0.25) instead.
        double[][] rows = [.. Enumerable.Range(0, 20).Select(i => i < 10 ? (i % 2 == 0 ? new[] { 1.0, 0 } : [0, 1.0]) : [1.0, 0])];
        using var p = ToTensor(rows);
        var score = InceptionScore.Compute(p);
        Assert.Equal(10, score.Splits);
        Assert.Equal([2.0, 2, 2, 2, 2, 1, 1, 1, 1, 1], score.SplitScores.Select(s => Math.Round(s, 12)));
        Assert.Equal(1.5, score.Mean, 1e-12);
        Assert.Equal(0.5, score.StandardDeviation, 1e-12);
    }

    [Fact]
    public void LogitsAreRejected()
    {
        using var logits = ToTensor([[2.0, -1.0], [0.5, 0.3]]);
        Assert.Contains("softmax", Assert.Throws<ArgumentException>(() => InceptionScore.Compute(logits, splits: 1)).Message);
    }
}
