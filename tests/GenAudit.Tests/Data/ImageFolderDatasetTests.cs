using GenAudit.Data;
using SkiaSharp;

namespace GenAudit.Tests.Data;

public class ImageFolderDatasetTests
{
    static void SavePng(string path, int width, int height, SKColor color, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(color);
        using var data = bitmap.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>Two classes: "a" (red and white images) and "b" (one green JPEG), plus three files that cannot be used.</summary>
    static TempFolder Fixture()
    {
        var temp = new TempFolder();
        SavePng(temp.File("a/1.png"), 40, 20, new SKColor(255, 0, 0));
        SavePng(temp.File("a/2.PNG"), 8, 8, SKColors.White);
        SavePng(temp.File("b/1.jpg"), 16, 16, new SKColor(0, 255, 0), SKEncodedImageFormat.Jpeg);
        File.WriteAllBytes(temp.File("b/corrupt.png"), [1, 2, 3, 4, 5, 6, 7, 8]);
        var good = File.ReadAllBytes(temp.File("a/1.png"));
        File.WriteAllBytes(temp.File("b/truncated.png"), good[..(good.Length / 2)]);
        File.WriteAllText(temp.File("b/notes.txt"), "not an image");
        File.WriteAllText(temp.File("b/.hidden"), "ignored");
        return temp;
    }

    [Fact]
    public void LoadsClassesInSortedOrderAndSkipsUnreadableFiles()
    {
        using var temp = Fixture();

        var dataset = ImageFolderDataset.Load(temp.Path, 4, ColorMode.Grayscale);

        Assert.Equal(["a", "b"], dataset.ClassNames);
        Assert.Equal(3, dataset.Count);
        Assert.Equal([1L, 4, 4], dataset.SampleShape);
        Assert.Equal([0L, 0, 1], dataset.Labels!);
        Assert.Equal(3, dataset.SkippedFiles.Count);
        Assert.Equal(["corrupt.png", "notes.txt", "truncated.png"], dataset.SkippedFiles.Select(s => Path.GetFileName(s.Path)));
        Assert.Contains("not a decodable image", dataset.SkippedFiles[0].Reason);
        Assert.Contains(".png, .jpg or .jpeg", dataset.SkippedFiles[1].Reason);
        Assert.Contains("truncated", dataset.SkippedFiles[2].Reason);

        // BT.601 luma: red → round(0.299 * 255) = 76, white → 255, JPEG green ≈ 0.587 * 255 ≈ 150.
        Assert.All(dataset.Pixels[..16], p => Assert.Equal(76, p));
        Assert.All(dataset.Pixels[16..32], p => Assert.Equal(255, p));
        Assert.All(dataset.Pixels[32..48], p => Assert.InRange(p, 140, 160));
    }

    [Fact]
    public void RgbKeepsChannelsInPlanes()
    {
        using var temp = Fixture();

        var dataset = ImageFolderDataset.Load(temp.Path, 2, ColorMode.Rgb);

        Assert.Equal([3L, 2, 2], dataset.SampleShape);
        Assert.Equal([255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0], dataset.Pixels[..12]); // red image: R plane, G plane, B plane
    }

    [Fact]
    public void FolderWithoutClassesIsAnError()
    {
        using var temp = new TempFolder();
        SavePng(temp.File("stray.png"), 4, 4, SKColors.Blue);

        var error = Assert.Throws<InvalidDataException>(() => ImageFolderDataset.Load(temp.Path, 8));

        Assert.Contains("no class subfolders", error.Message);
        Assert.Contains(temp.Path, error.Message);
    }

    [Fact]
    public void ClassesWithoutReadableImagesAreAnError()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("only"));
        File.WriteAllBytes(temp.File("only/broken.jpg"), [0xFF, 0xD8, 0xFF]);

        var error = Assert.Throws<InvalidDataException>(() => ImageFolderDataset.Load(temp.Path, 8));

        Assert.Contains("no readable PNG or JPEG images", error.Message);
        Assert.Contains("broken.jpg", error.Message);
    }

    [Fact]
    public void MissingFolderIsAnError()
    {
        Assert.Throws<DirectoryNotFoundException>(() => ImageFolderDataset.Load("/nonexistent/genaudit", 8));
    }
}
