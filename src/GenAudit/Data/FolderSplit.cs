using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GenAudit.Data;

/// <summary>
/// The seeded, stratified train/test split of an image folder: in every class (subfolder) with at least 2 images,
/// round(<see cref="TestFraction"/> · n) images (at least 1, at most n − 1) are held out; a class of 1 image keeps it
/// for training. Which ones: the files with the smallest SHA-256 of "seed \n relative/path" (ties by path), so the
/// split depends on the seed and the file names only, not on the order the file system lists them, and adding a file
/// to a class moves at most one other file between the parts.
/// </summary>
public sealed record FolderSplit
{
    /// <summary>Share of each class held out for testing. Default 0.1.</summary>
    public double TestFraction { get; init; } = 0.1;

    /// <summary>Seed of the choice of held-out files. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Number of held-out images of a class of <paramref name="classSize"/> images.</summary>
    public int TestCount(int classSize)
    {
        Validate();
        if (classSize < 2) return 0;
        return Math.Clamp((int)Math.Round(TestFraction * classSize, MidpointRounding.AwayFromZero), 1, classSize - 1);
    }

    /// <summary>
    /// The held-out files of one class, given the paths of its image files relative to the dataset folder (any order;
    /// compared with '/' as separator).
    /// </summary>
    public IReadOnlySet<string> HeldOut(IReadOnlyCollection<string> relativePaths)
    {
        ArgumentNullException.ThrowIfNull(relativePaths);
        var count = TestCount(relativePaths.Count);
        return relativePaths
            .Select(path => (Path: path, Key: Key(path)))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Path, StringComparer.Ordinal)
            .Take(count)
            .Select(p => p.Path)
            .ToHashSet(StringComparer.Ordinal);
    }

    string Key(string relativePath)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{Seed}\n{relativePath.Replace('\\', '/')}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    void Validate()
    {
        if (!(TestFraction > 0 && TestFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(TestFraction), TestFraction, $"folder split: TestFraction is {TestFraction}; it must lie in (0, 1), e.g. 0.1.");
    }
}
