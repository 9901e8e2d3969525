using System.Security.Cryptography;
using System.Text;
using GenAudit.Data;
using SkiaSharp;

namespace GenAudit.Tests.Data;

/// <summary>Issue 15, item 6: the seeded, stratified train/test split of image folders.</summary>
public class FolderSplitTests
{
    /// <summary>Class sizes of the fixture: a class of 1 keeps its image for training, 2 holds out 1, 10 → 1, 25 → round(2.5) = 3.</summary>
    static readonly (string Class, int Count, int HeldOut)[] Classes = [("a", 10, 1), ("b", 25, 3), ("c", 1, 0), ("d", 2, 1)];

    /// <summary>One 4×4 grey PNG per file whose grey level is the file's global number, so every image is identifiable; written in <paramref name="order"/>.</summary>
    static TempFolder Fixture(bool reverse = false)
    {
        var temp = new TempFolder();
        var files = new List<(string Path, byte Level)>();
        var level = 0;
        foreach (var (cls, count, _) in Classes)
            for (var i = 0; i < count; i++) files.Add(($"{cls}/{i:D2}.png", (byte)(++level * 6)));
        if (reverse) files.Reverse();
        foreach (var (path, grey) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(temp.File(path))!);
            using var bitmap = new SKBitmap(4, 4);
            bitmap.Erase(new SKColor(grey, grey, grey));
            using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(temp.File(path), png.ToArray());
        }
        return temp;
    }

    /// <summary>Grey level of each image (its first pixel) with its class name.</summary>
    static List<(string Class, byte Level)> Contents(ImageDataset data) =>
        Enumerable.Range(0, data.Count).Select(i => (data.ClassNames[(int)data.Labels![i]], data.Pixels[i * data.SampleSize])).ToList();

    /// <summary>The held-out files by hand: in each class the round(10% · n) (1 ≤ k ≤ n − 1) with the smallest SHA-256("seed\nclass/file").</summary>
    static HashSet<string> ExpectedHeldOut(long seed)
    {
        var expected = new HashSet<string>();
        foreach (var (cls, count, heldOut) in Classes)
        {
            var names = Enumerable.Range(0, count).Select(i => $"{cls}/{i:D2}.png");
            foreach (var name in names.OrderBy(n => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\n{n}"))), StringComparer.Ordinal).Take(heldOut))
                expected.Add(name);
        }
        return expected;
    }

    static byte LevelOf(string name)
    {
        var offset = 0;
        foreach (var (cls, count, _) in Classes)
        {
            if (name.StartsWith(cls + "/", StringComparison.Ordinal)) return (byte)((offset + int.Parse(name[(cls.Length + 1)..^4]) + 1) * 6);
            offset += count;
        }
        throw new ArgumentException(name);
    }

    [Fact]
    public void TheSplitIsStratifiedDisjointAndTheDocumentedChoice()
    {
        using var temp = Fixture();
        var split = new FolderSplit();
        var train = ImageFolderDataset.Load(temp.Path, 4, ColorMode.Grayscale, split, DataSplit.Train);
        var test = ImageFolderDataset.Load(temp.Path, 4, ColorMode.Grayscale, split, DataSplit.Test);
        var all = ImageFolderDataset.Load(temp.Path, 4, ColorMode.Grayscale);

        foreach (var (cls, count, heldOut) in Classes)
        {
            Assert.Equal(heldOut, Contents(test).Count(c => c.Class == cls));
            Assert.Equal(count - heldOut, Contents(train).Count(c => c.Class == cls));
        }
        var trainLevels = Contents(train).Select(c => c.Level).ToHashSet();
        var testLevels = Contents(test).Select(c => c.Level).ToHashSet();
        Assert.Empty(trainLevels.Intersect(testLevels));
        Assert.Equal(Contents(all).Select(c => c.Level).Order(), trainLevels.Concat(testLevels).Order());
        Assert.Equal(ExpectedHeldOut(0).Select(LevelOf).Order(), testLevels.Order());

        Assert.Equal(["a", "b", "c", "d"], test.ClassNames); // labels keep their meaning in both parts
        Assert.Equal(temp.Path.Split('/')[^1] + "-test", test.Name);
        Assert.Equal(3, new[] { train.Fingerprint, test.Fingerprint, all.Fingerprint }.Distinct().Count());
    }

    [Fact]
    public void TheSplitIsDeterministicIndependentOfFileOrderAndChangesWithTheSeed()
    {
        using var first = Fixture();
        using var reversed = Fixture(reverse: true);
        var options = new DatasetOptions { ImageSize = 4, Split = DataSplit.Test };
        var test = DatasetRegistry.Resolve(first.Path, options);
        Assert.Equal(test.Fingerprint, DatasetRegistry.Resolve(first.Path, options).Fingerprint);
        Assert.Equal(test.Fingerprint, DatasetRegistry.Resolve(reversed.Path, options).Fingerprint);

        var reseeded = (ImageDataset)DatasetRegistry.Resolve(first.Path, options with { FolderSplit = new FolderSplit { Seed = 1 } });
        Assert.NotEqual(test.Fingerprint, reseeded.Fingerprint);
        Assert.Equal(ExpectedHeldOut(1).Select(LevelOf).Order(), Contents(reseeded).Select(c => c.Level).Order());
        Assert.NotEqual(ExpectedHeldOut(0).Order(), ExpectedHeldOut(1).Order());
    }

    [Fact]
    public void AFolderWithoutAClassOfTwoHasNoTestSplitAndSaysSo()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("only"));
        using (var bitmap = new SKBitmap(3, 3))
        using (var png = bitmap.Encode(SKEncodedImageFormat.Png, 100))
            File.WriteAllBytes(temp.File("only/x.png"), png.ToArray());
        Assert.Equal(1, DatasetRegistry.Resolve(temp.Path, new DatasetOptions { ImageSize = 4 }).Count);
        var error = Assert.Throws<InvalidDataException>(() => DatasetRegistry.Resolve(temp.Path, new DatasetOptions { ImageSize = 4, Split = DataSplit.Test }));
        Assert.Contains("no held-out images", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FolderSplit { TestFraction = 1 }.TestCount(10));
    }
}
