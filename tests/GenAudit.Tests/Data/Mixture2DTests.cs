using GenAudit.Core;
using GenAudit.Data;
using static TorchSharp.torch;

namespace GenAudit.Tests.Data;

public class Mixture2DTests
{
    public static TheoryData<string> Names => new() { "ring8", "grid25" };

    [Fact]
    public void DefinitionsMatchPacGan()
    {
        Assert.Equal(8, Mixture2D.Ring8.ModeCount);
        Assert.Equal(0.01, Mixture2D.Ring8.Std);
        Assert.Equal(Math.Sqrt(0.5), Mixture2D.Ring8.Means[1].X, 12);
        Assert.Equal(25, Mixture2D.Grid25.ModeCount);
        Assert.Equal(0.05, Mixture2D.Grid25.Std);
        Assert.Equal((-4.0, 2.0), Mixture2D.Grid25.Means[3]);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void LargeSampleMatchesTheDefinition(string name)
    {
        TorchRuntime.EnsureLoaded();
        var mixture = Mixture2D.FromName(name)!;
        using var scope = NewDisposeScope();
        using var generator = new Generator(123);

        var points = mixture.Sample(200_000, generator);                             // (N, 2)
        var modes = mixture.NearestMode(points);                                      // (N,)
        using var means = tensor(mixture.Means.SelectMany(m => new[] { (float)m.X, (float)m.Y }).ToArray(), [mixture.ModeCount, 2]);
        var residual = points - means.index_select(0, modes);                         // (N, 2)

        Assert.Equal([200_000L, 2], points.shape);
        Assert.InRange(residual.mean().item<float>(), -0.01 * mixture.Std, 0.01 * mixture.Std);
        Assert.InRange(residual.std().item<float>(), 0.99 * mixture.Std, 1.01 * mixture.Std);
        var expectedShare = 1.0 / mixture.ModeCount;
        var counts = modes.bincount(null, mixture.ModeCount).data<long>().ToArray();
        Assert.All(counts, c => Assert.InRange(c / 200_000.0, 0.9 * expectedShare, 1.1 * expectedShare));

        var coverage = mixture.Evaluate(points);
        Assert.Equal(mixture.ModeCount, coverage.ModesCaptured);
        Assert.InRange(coverage.HighQualityFraction, 0.985, 0.993); // P(chi_2 < 9) = 1 - e^-4.5 ≈ 0.9889
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void RulesAgreeWithABruteForceLoop(string name)
    {
        TorchRuntime.EnsureLoaded();
        var mixture = Mixture2D.FromName(name)!;
        using var scope = NewDisposeScope();
        var random = new Random(5);
        var spread = name == "ring8" ? 1.3 : 5.0;
        var values = new float[2 * 300];
        for (var i = 0; i < 300; i++)
        {
            // Half near a mean (within a few std), half anywhere in the plane.
            var (mx, my) = mixture.Means[random.Next(mixture.ModeCount)];
            var near = i % 2 == 0;
            values[2 * i] = (float)(near ? mx + (random.NextDouble() - 0.5) * 8 * mixture.Std : (random.NextDouble() * 2 - 1) * spread);
            values[2 * i + 1] = (float)(near ? my + (random.NextDouble() - 0.5) * 8 * mixture.Std : (random.NextDouble() * 2 - 1) * spread);
        }
        var points = tensor(values, [300, 2]);

        var nearest = mixture.NearestMode(points).data<long>().ToArray();
        var highQuality = mixture.IsHighQuality(points).data<bool>().ToArray();
        var coverage = mixture.Evaluate(points);

        var expectedCounts = new long[mixture.ModeCount];
        var expectedGood = new long[mixture.ModeCount];
        for (var i = 0; i < 300; i++)
        {
            var best = -1;
            var bestDistance = double.MaxValue;
            for (var k = 0; k < mixture.ModeCount; k++)
            {
                var distance = Math.Sqrt(Math.Pow(values[2 * i] - mixture.Means[k].X, 2) + Math.Pow(values[2 * i + 1] - mixture.Means[k].Y, 2));
                if (distance < bestDistance) (best, bestDistance) = (k, distance);
            }
            Assert.Equal(best, nearest[i]);
            Assert.Equal(bestDistance < 3 * mixture.Std, highQuality[i]);
            expectedCounts[best]++;
            if (bestDistance < 3 * mixture.Std) expectedGood[best]++;
        }
        Assert.Equal(expectedCounts, coverage.ModeCounts);
        Assert.Equal(expectedGood, coverage.HighQualityCounts);
        Assert.Equal(expectedGood.Count(c => c > 0), coverage.ModesCaptured);
        Assert.Equal(expectedGood.Sum() / 300.0, coverage.HighQualityFraction, 12);
    }

    [Fact]
    public void CollapsedSamplesCaptureOneMode()
    {
        TorchRuntime.EnsureLoaded();
        using var points = tensor(new float[] { 0, 1, 0, 1, 0.001f, 1 }, [3, 2]);
        var coverage = Mixture2D.Ring8.Evaluate(points);
        Assert.Equal(1, coverage.ModesCaptured);
        Assert.Equal(3, coverage.HighQualityCounts[2]);
    }

    [Fact]
    public void FingerprintsAndTrainingSetsAreReproducible()
    {
        TorchRuntime.EnsureLoaded();
        Assert.NotEqual(Mixture2D.Ring8.Fingerprint, Mixture2D.Grid25.Fingerprint);
        Assert.Equal(Mixture2D.Ring8.Fingerprint, new Mixture2D("ring8", [.. Mixture2D.Ring8.Means], 0.01).Fingerprint);
        Assert.NotEqual(Mixture2D.Ring8.Fingerprint, new Mixture2D("ring8", [.. Mixture2D.Ring8.Means], 0.02).Fingerprint);

        var first = Mixture2D.Ring8.TrainingSet(1000, seed: 3);
        Assert.Equal(first.Fingerprint, Mixture2D.Ring8.TrainingSet(1000, seed: 3).Fingerprint);
        Assert.NotEqual(first.Fingerprint, Mixture2D.Ring8.TrainingSet(1000, seed: 4).Fingerprint);
        Assert.Same(Mixture2D.Ring8, first.Mixture);
        Assert.Equal(8, first.ClassNames.Count);
    }
}
