using GenAudit.Metrics;
using static TorchSharp.torch;

namespace GenAudit.Tests.Metrics;

public class ClassCoverageTests
{
    [Fact]
    public void HandWorkedCoverageAndKl()
    {
        // 200 samples over 4 classes: 100, 98, 2, 0. Class 2 has exactly 1% → covered; class 3 is not.
        var labels = Enumerable.Repeat(0L, 100).Concat(Enumerable.Repeat(1L, 98)).Concat(Enumerable.Repeat(2L, 2)).ToArray();
        using var predicted = tensor(labels);
        var result = ClassCoverage.Compute(predicted, [1, 1, 1, 1], new ClassCoverageOptions { MinimumShare = 0.01, Epsilon = 0 });
        Assert.Equal(3, result.ClassesCovered);
        Assert.Equal([100L, 98L, 2L, 0L], result.GeneratedCounts);
        var expected = 0.5 * Math.Log(0.5 / 0.25) + 0.49 * Math.Log(0.49 / 0.25) + 0.01 * Math.Log(0.01 / 0.25);
        Assert.Equal(expected, result.KlToReal, 1e-12);
    }

    [Fact]
    public void CollapsedGeneratorScoresOneClassAndLogTen()
    {
        using var predicted = tensor(Enumerable.Repeat(7L, 50).ToArray());
        using var realLabels = tensor(Enumerable.Range(0, 1000).Select(i => (long)(i % 10)).ToArray());
        var real = ClassCoverage.Histogram(realLabels, 10).Select(c => (double)c).ToArray();
        var result = ClassCoverage.Compute(predicted, real);
        Assert.Equal(1, result.ClassesCovered);
        // Smoothing ε = 1e-6: p̃ = (0.1 + ε) / (1 + 10ε).
        Assert.Equal(-Math.Log((0.1 + 1e-6) / (1 + 1e-5)), result.KlToReal, 1e-12);
    }

    [Fact]
    public void ClassMissingFromRealDataStaysFiniteThroughSmoothing()
    {
        using var predicted = tensor(new long[] { 0, 1 });
        var result = ClassCoverage.Compute(predicted, [1.0, 0.0]);
        var p0 = (1 + 1e-6) / (1 + 2e-6);
        var p1 = 1e-6 / (1 + 2e-6);
        Assert.Equal(0.5 * Math.Log(0.5 / p0) + 0.5 * Math.Log(0.5 / p1), result.KlToReal, 1e-12);
    }

    [Fact]
    public void ConditionAccuracyCountsAgreement()
    {
        using var predicted = tensor(new long[] { 0, 1, 2, 2, 1 });
        using var requested = tensor(new long[] { 0, 1, 2, 1, 0 });
        var accuracy = ClassCoverage.ConditionAccuracy(predicted, requested, classCount: 3);
        Assert.Equal((0.6, 3L, 5L), (accuracy.Accuracy, accuracy.Correct, accuracy.Total));
    }

    [Fact]
    public void OutOfRangeLabelIsAClearError()
    {
        using var predicted = tensor(new long[] { 0, 4 });
        var error = Assert.Throws<ArgumentException>(() => ClassCoverage.Compute(predicted, [1.0, 1.0]));
        Assert.Contains("predictedClasses[1] = 4", error.Message);
    }
}
