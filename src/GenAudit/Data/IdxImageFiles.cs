namespace GenAudit.Data;

/// <summary>Finds and loads the standard pair of MNIST-style IDX files of one split in a folder.</summary>
static class IdxImageFiles
{
    /// <summary>Standard file base names of a split: (images, labels), without ".gz".</summary>
    public static (string Images, string Labels) Names(DataSplit split) => split == DataSplit.Train
        ? ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
        : ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    /// <summary>The path of <paramref name="baseName"/> in <paramref name="folder"/>, gzipped or raw, also accepting the ".idx3-ubyte" spelling; null when absent.</summary>
    public static string? Find(string folder, string baseName)
    {
        var dotted = baseName.Replace("-idx", ".idx", StringComparison.Ordinal);
        foreach (var candidate in new[] { baseName + ".gz", baseName, dotted + ".gz", dotted })
        {
            var path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>Loads one split from a folder; <paramref name="missingHint"/> is appended when a file is absent.</summary>
    public static ImageDataset Load(string folder, DataSplit split, string name, IReadOnlyList<string> classNames, string missingHint)
    {
        var (imagesName, labelsName) = Names(split);
        var images = Find(folder, imagesName);
        var labels = Find(folder, labelsName);
        if (images is null || labels is null)
            throw new FileNotFoundException(
                $"{Path.Combine(folder, (images is null ? imagesName : labelsName) + ".gz")}: file not found (raw or .gz). {missingHint}",
                images is null ? imagesName : labelsName);
        return ImageDataset.FromIdx(IdxReader.Read(images), images, IdxReader.Read(labels), labels, name, classNames);
    }
}
