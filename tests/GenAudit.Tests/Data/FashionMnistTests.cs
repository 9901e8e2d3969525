using GenAudit.Data;

namespace GenAudit.Tests.Data;

public class FashionMnistTests
{
    [Fact]
    public void LoadsTheDebianPackage()
    {
        var train = FashionMnist.Load(DataSplit.Train);
        var test = FashionMnist.Load(DataSplit.Test);

        Assert.Equal((60000, 10000), (train.Count, test.Count));
        Assert.Equal([1, 28, 28], train.SampleShape);
        Assert.Equal("Ankle boot", train.ClassNames[9]);
        Assert.All(test.Labels!.GroupBy(l => l), g => Assert.Equal(1000, g.Count())); // Fashion-MNIST's test set is balanced
    }

    [Fact]
    public void LoadsRawFilesFromAGivenFolder()
    {
        using var temp = new TempFolder();
        IdxWriter.Write(temp.File("t10k-images-idx3-ubyte"), [2, 3, 3], new byte[18]);
        IdxWriter.Write(temp.File("t10k-labels-idx1-ubyte"), [2], [9, 0]);

        var test = FashionMnist.Load(DataSplit.Test, temp.Path);

        Assert.Equal(2, test.Count);
        Assert.Equal([9L, 0L], test.Labels!);
    }

    [Fact]
    public void MissingFilesSayHowToGetThem()
    {
        using var temp = new TempFolder();
        IdxWriter.Write(temp.File("train-images-idx3-ubyte.gz"), [1, 2, 2], new byte[4]);

        var error = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(DataSplit.Train, temp.Path));

        Assert.Contains("train-labels-idx1-ubyte", error.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", error.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist",
            Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(DataSplit.Train, temp.File("missing"))).Message);
    }
}
