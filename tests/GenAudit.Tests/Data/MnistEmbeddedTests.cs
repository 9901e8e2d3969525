using GenAudit.Data;

namespace GenAudit.Tests.Data;

public class MnistEmbeddedTests
{
    static readonly int[] CountsPerDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

    static long[] PerDigit(ImageDataset dataset)
    {
        var counts = new long[10];
        foreach (var label in dataset.Labels!) counts[label]++;
        return counts;
    }

    [Fact]
    public void FilesAreEmbeddedInTheLibrary()
    {
        var names = typeof(MnistEmbedded).Assembly.GetManifestResourceNames();
        foreach (var file in new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
            Assert.Contains(MnistEmbedded.ResourcePrefix + file, names);
    }

    [Fact]
    public void SplitIs8000By2000StratifiedByDigit()
    {
        var train = MnistEmbedded.Load(DataSplit.Train);
        var test = MnistEmbedded.Load(DataSplit.Test);

        Assert.Equal((8000, 2000), (train.Count, test.Count));
        Assert.Equal([1, 28, 28], train.SampleShape);
        var trainCounts = PerDigit(train);
        var testCounts = PerDigit(test);
        for (var digit = 0; digit < 10; digit++)
        {
            Assert.Equal(CountsPerDigit[digit], trainCounts[digit] + testCounts[digit]);
            Assert.Equal(Math.Round(0.2 * CountsPerDigit[digit]), testCounts[digit]);
        }
        Assert.Equal(MnistEmbedded.ClassNames, train.ClassNames);
    }

    [Fact]
    public void DigitsLookLikeMnist()
    {
        var train = MnistEmbedded.Load(DataSplit.Train);

        // MNIST digits are white strokes on black: mostly zero pixels, some full-intensity ones, mean near 0.13.
        var mean = train.Pixels.Average(p => p / 255.0);
        Assert.InRange(mean, 0.10, 0.16);
        Assert.Equal(255, train.Pixels.Max());
        Assert.True(train.Pixels.Count(p => p == 0) > train.Pixels.Length / 2);
    }

    [Fact]
    public void FingerprintIsStableAcrossLoads()
    {
        var first = MnistEmbedded.Load(DataSplit.Test);
        var second = MnistEmbedded.Load(DataSplit.Test);

        Assert.Equal(first.Fingerprint, second.Fingerprint);
        Assert.NotEqual(first.Fingerprint, MnistEmbedded.Load(DataSplit.Train).Fingerprint);
        Assert.Matches("^[0-9a-f]{64}$", first.Fingerprint);
    }
}
