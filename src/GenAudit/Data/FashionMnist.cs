namespace GenAudit.Data;

/// <summary>
/// Fashion-MNIST (Xiao et al. 2017, https://arxiv.org/abs/1708.07747): 60,000 train and 10,000 test
/// 28×28 grayscale images of 10 clothing classes, read from the standard IDX files.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's package dataset-fashion-mnist installs the IDX files.</summary>
    public const string DefaultFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>Class names in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Loads a split from <paramref name="folder"/> (default <see cref="DefaultFolder"/>), which holds
    /// train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz).
    /// </summary>
    public static ImageDataset Load(DataSplit split, string? folder = null)
    {
        var directory = folder ?? DefaultFolder;
        var hint = folder is null
            ? "Install Fashion-MNIST with 'sudo apt-get install dataset-fashion-mnist', or pass the folder holding its IDX files (--data fashion-mnist:<folder>)."
            : "Pass the folder holding the Fashion-MNIST IDX files, or omit it to use " + DefaultFolder + " ('sudo apt-get install dataset-fashion-mnist').";
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"{directory}: Fashion-MNIST folder not found. {hint}");
        return IdxImageFiles.Load(directory, split, $"fashion-mnist-{split.ToString().ToLowerInvariant()}", ClassNames, hint);
    }
}
