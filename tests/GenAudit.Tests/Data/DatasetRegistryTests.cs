using GenAudit.Data;
using SkiaSharp;

namespace GenAudit.Tests.Data;

public class DatasetRegistryTests
{
    [Fact]
    public void ResolvesEveryForm()
    {
        var ring = Assert.IsType<PointDataset>(DatasetRegistry.Resolve("ring8", new DatasetOptions { MixtureSampleCount = 500 }));
        Assert.Equal((500, 8), (ring.Count, ring.Mixture!.ModeCount));
        Assert.Equal(25, Assert.IsType<PointDataset>(DatasetRegistry.Resolve("GRID25", new DatasetOptions { MixtureSampleCount = 10 })).Mixture!.ModeCount);
        Assert.Equal(2000, DatasetRegistry.Resolve("mnist", new DatasetOptions { Split = DataSplit.Test }).Count);
        Assert.Equal(10000, DatasetRegistry.Resolve("fashion-mnist", new DatasetOptions { Split = DataSplit.Test }).Count);
        Assert.Equal(10000, DatasetRegistry.Resolve("fashion-mnist:" + FashionMnist.DefaultFolder, new DatasetOptions { Split = DataSplit.Test }).Count);

        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("cls"));
        using (var bitmap = new SKBitmap(3, 3))
        using (var png = bitmap.Encode(SKEncodedImageFormat.Png, 100))
            File.WriteAllBytes(temp.File("cls/x.png"), png.ToArray());
        var folder = Assert.IsType<ImageDataset>(DatasetRegistry.Resolve(temp.Path, new DatasetOptions { ImageSize = 5, Color = ColorMode.Rgb }));
        Assert.Equal([3L, 5, 5], folder.SampleShape);
    }

    [Fact]
    public void UnknownSpecsAreClearErrors()
    {
        Assert.Contains("Unknown dataset 'cifar10'. Use ring8, grid25, mnist", Assert.Throws<ArgumentException>(() => DatasetRegistry.Resolve("cifar10")).Message);
        Assert.Contains("'./nowhere': folder not found", Assert.Throws<ArgumentException>(() => DatasetRegistry.Resolve("./nowhere")).Message);
        Assert.Contains("give the folder after 'fashion-mnist:'", Assert.Throws<ArgumentException>(() => DatasetRegistry.Resolve("fashion-mnist:")).Message);
        Assert.Throws<ArgumentException>(() => DatasetRegistry.Resolve(" "));
    }
}
