using GenAudit.Core;
using GenAudit.Data;
using GenAudit.Metrics;
using GenAudit.Models;
using GenAudit.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace GenAudit.Tests.Data;

/// <summary>Stacked MNIST: the data set, its mode count and the per-channel classifier's triple probabilities.</summary>
public class StackedMnistTests
{
    [Fact]
    public void EachImageStacksThreeEmbeddedDigitsAndIsLabelledWithTheirTriple()
    {
        var mnist = MnistEmbedded.Load(DataSplit.Train);
        var stacked = StackedMnist.Load(DataSplit.Train);
        Assert.Equal(StackedMnist.TrainCount, stacked.Count);
        Assert.Equal([3L, 28L, 28L], stacked.SampleShape);
        Assert.Equal(stacked.Fingerprint, StackedMnist.Load(DataSplit.Train).Fingerprint);
        Assert.NotEqual(stacked.Fingerprint, StackedMnist.Load(DataSplit.Train, seed: 1).Fingerprint);
        // Find every channel of a few images among the digits by brute force and rebuild the label from theirs.
        const int plane = 28 * 28;
        var digitOf = new Dictionary<string, long>();
        for (int i = 0; i < mnist.Count; i++) digitOf.TryAdd(Convert.ToHexString(mnist.Pixels, i * plane, plane), mnist.Labels![i]);
        foreach (var image in new[] { 0, 1, 12_345, StackedMnist.TrainCount - 1 })
        {
            long mode = 0;
            for (int channel = 0; channel < 3; channel++)
                mode = mode * 10 + digitOf[Convert.ToHexString(stacked.Pixels, (image * 3 + channel) * plane, plane)];
            Assert.Equal(mode, stacked.Labels![image]);
        }
        // 25,600 uniform draws of 1,000 modes leave a mode empty with probability (1 − 1/1000)^25600 ≈ 8e-12.
        Assert.Equal(1000, StackedMnist.DistinctModes(stacked));
    }

    [Fact]
    public void ModeCountingCountsAHandBuiltSetOfTriplesExactly()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        int[][] triples = [[0, 0, 0], [1, 2, 3], [9, 9, 9], [1, 2, 3], [5, 0, 0], [0, 0, 0], [1, 2, 3], [3, 2, 1]];
        // One-hot digit probabilities per channel (n, 3, 10), so the modes are the triples themselves.
        var probabilities = zeros(triples.Length, 3, 10);
        for (int i = 0; i < triples.Length; i++)
            for (int c = 0; c < 3; c++) probabilities[i, c, triples[i][c]] = tensor(1f);
        var modes = StackedMnistModes.FromChannelProbabilities(probabilities);
        Assert.Equal(new long[] { 0, 123, 999, 123, 500, 0, 123, 321 }, modes.data<long>().ToArray());
        var result = StackedMnistModes.Compute(modes);
        Assert.Equal(5, result.ModesCaptured);
        Assert.Equal(1000, result.ModeCount);
        Assert.Equal(3, result.ModeHistogram[123]);
        Assert.Equal(2, result.ModeHistogram[0]);
        // q = (2, 3, 1, 1, 1)/8 over the covered modes; KL(q ‖ uniform over 1,000) = Σ q ln(1000 q).
        double[] q = [2 / 8.0, 3 / 8.0, 1 / 8.0, 1 / 8.0, 1 / 8.0];
        Assert.Equal(q.Sum(v => v * Math.Log(1000 * v)), result.ReverseKl!.Value, 1e-12);
        Assert.False(result.QualityMeasured);

        // Every mode once: KL 0 and all 1,000 covered.
        var uniform = StackedMnistModes.Compute(arange(1000, ScalarType.Int64));
        Assert.Equal(1000, uniform.ModesCaptured);
        Assert.Equal(0, uniform.ReverseKl!.Value, 1e-12);
    }

    [Fact]
    public void TripleProbabilitiesAreTheProductsOfThePerChannelDigitProbabilities()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        FeatureClassifier classifier;
        lock (GenAudit.Core.GlobalRandom.Lock)
        {
            manual_seed(4);
            classifier = new FeatureClassifier(1, 28, 28, 10);
        }
        classifier.eval();
        var info = new FeatureClassifierInfo(FeatureClassifier.ArchitectureVersion, 1, 28, 28, 10, FeatureClassifier.FeatureSize, "t", 1, "t", 1, 0.5, 0, 1, 1, 1e-3, 0, 0);
        using var trained = new TrainedFeatureClassifier(classifier, info, false);
        var extractor = new StackedMnistFeatureExtractor(trained);
        var images = rand(5, 3, 28, 28);
        var (features, joint) = extractor.Extract(images);
        Assert.Equal([5L, 3L * FeatureClassifier.FeatureSize], features.shape);
        Assert.Equal([5L, 1000L], joint!.shape);
        using var noGrad = no_grad();
        for (int i = 0; i < 5; i++)
        {
            var p = Enumerable.Range(0, 3).Select(c => classifier.Probabilities(images[i].narrow(0, c, 1).unsqueeze(0))[0].data<float>().ToArray()).ToArray();
            var row = joint[i].data<float>().ToArray();
            foreach (var (a, b, c) in new[] { (0, 0, 0), (1, 2, 3), (9, 4, 7), (5, 5, 5) })
                Assert.Equal(p[0][a] * p[1][b] * p[2][c], row[100 * a + 10 * b + c], 1e-6);
            Assert.Equal(1.0, row.Sum(), 1e-4);
            var channelFeatures = classifier.Features(images[i].narrow(0, 1, 1).unsqueeze(0))[0];
            Assert.True(features[i].narrow(0, FeatureClassifier.FeatureSize, FeatureClassifier.FeatureSize).allclose(channelFeatures, 1e-5, 1e-6));
        }
    }
}
