using GenAudit.Metrics;
using static GenAudit.Tests.Metrics.MetricTestData;

namespace GenAudit.Tests.Metrics;

public class CopyDetectionTests
{
    [Fact]
    public void SubsetOfTrainingSetIsAllCopies()
    {
        var random = new Random(17);
        var training = Gaussian(random, 300, 16);
        int[] picked = [5, 123, 7, 299, 42];
        using var trainingTensor = ToTensor(training, TorchSharp.torch.ScalarType.Float32);
        using var generated = ToTensor(picked.Select(i => training[i]).ToArray(), TorchSharp.torch.ScalarType.Float32);

        var result = CopyDetection.Compute(trainingTensor, generated, new CopyDetectionOptions { ChunkRows = 7, ClosestPairCount = 3 });
        Assert.Equal(1.0, result.CopyFraction);
        Assert.Equal(picked, result.NearestTrainingIndices);
        Assert.All(result.NearestTrainingDistances, d => Assert.Equal(0.0, d));
        Assert.Equal([(0, 5), (1, 123), (2, 7)], result.ClosestPairs.Select(p => (p.GeneratedIndex, p.TrainingIndex)));
        Assert.Equal(0.0, result.BaselineFraction); // no duplicates inside the training set
    }

    [Fact]
    public void IndependentSamplesAreNotCopies()
    {
        var random = new Random(18);
        using var training = ToTensor(Gaussian(random, 400, 16));
        using var generated = ToTensor(Gaussian(random, 200, 16));
        var result = CopyDetection.Compute(training, generated);
        Assert.Equal(0.0, result.CopyFraction);
        Assert.True(result.MedianTrainingDistance > 0);
        Assert.Equal(0.1 * result.MedianTrainingDistance, result.Threshold, 1e-15);
    }

    [Fact]
    public void NearestNeighboursMatchBruteForceAndPairsAreSorted()
    {
        var random = new Random(19);
        var training = Gaussian(random, 60, 3);
        var generated = Gaussian(random, 25, 3);
        using var trainingTensor = ToTensor(training);
        using var generatedTensor = ToTensor(generated);
        var result = CopyDetection.Compute(trainingTensor, generatedTensor, new CopyDetectionOptions { ChunkRows = 4, ClosestPairCount = 25 });

        static double Distance(double[] a, double[] b) => Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());
        for (var i = 0; i < generated.Length; i++)
        {
            var best = Enumerable.Range(0, training.Length).MinBy(j => Distance(generated[i], training[j]));
            Assert.Equal(best, result.NearestTrainingIndices[i]);
            Assert.Equal(Distance(generated[i], training[best]), result.NearestTrainingDistances[i], 1e-12);
        }
        var trainingNearest = training.Select((t, i) => training.Where((_, j) => j != i).Min(u => Distance(t, u))).Order().ToArray();
        Assert.Equal(0.5 * (trainingNearest[29] + trainingNearest[30]), result.MedianTrainingDistance, 1e-12);
        Assert.Equal(result.NearestTrainingDistances.Order(), result.ClosestPairs.Select(p => p.Distance));
    }
}
