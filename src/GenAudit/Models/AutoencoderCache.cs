using System.Globalization;
using GenAudit.Core;
using GenAudit.Data;

namespace GenAudit.Models;

/// <summary>
/// Trains a <see cref="ConvolutionalAutoencoder"/> once per training split and reuses it: entries live under
/// <c>&lt;cache&gt;/autoencoder/&lt;key&gt;/</c> as <c>weights.safetensors</c> and <c>autoencoder.json</c> (an
/// <see cref="AutoencoderInfo"/> and the SHA-256 of the weights), where the key hashes the architecture version, the
/// training data fingerprint and the training options. Both files are written atomically, the JSON last; an entry that
/// cannot be read or does not match is reported through the progress callback and retrained.
/// </summary>
public static class AutoencoderCache
{
    /// <summary>Weights file name inside an entry.</summary>
    public const string WeightsFile = ModelCacheEntry.WeightsFile;

    /// <summary>Description file name inside an entry.</summary>
    public const string InfoFile = "autoencoder.json";

    /// <summary>The entry folder for a training split and options, under <paramref name="cacheFolder"/> (default <see cref="CacheFolder.Default"/>).</summary>
    public static string EntryFolder(Dataset train, AutoencoderOptions? options = null, string? cacheFolder = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new AutoencoderOptions();
        var recipe = string.Create(CultureInfo.InvariantCulture,
            $"{ConvolutionalAutoencoder.ArchitectureVersion}\n{train.Fingerprint}\nseed={options.Seed}\nepochs={options.EpochsFor(train.Count)}\nbatch={options.BatchSize}\nlr={options.LearningRate:R}\n");
        return ModelCacheEntry.Folder(cacheFolder, "autoencoder", ConvolutionalAutoencoder.ArchitectureVersion, recipe);
    }

    /// <summary>
    /// Loads the cached autoencoder for <paramref name="train"/> and <paramref name="options"/>, or trains and caches one.
    /// When <paramref name="test"/> differs from the split the entry was measured on, the error is measured again on it.
    /// </summary>
    public static TrainedAutoencoder GetOrTrain(Dataset train, Dataset test, AutoencoderOptions? options = null,
        IProgress<string>? progress = null, string? cacheFolder = null)
    {
        options ??= new AutoencoderOptions();
        options.Validate();
        AutoencoderTraining.CheckDatasets(train, test);
        var folder = EntryFolder(train, options, cacheFolder);
        var infoPath = Path.Combine(folder, InfoFile);
        return ModelCacheEntry.GetOrTrain(folder, InfoFile, $"autoencoder ({train.Name})", "autoencoder",
            load: () =>
            {
                var loaded = Load(train, folder, infoPath);
                progress?.Report($"autoencoder ({train.Name}): loaded from {folder} (held-out reconstruction error {loaded.Info.TestReconstructionError:G3})");
                if (loaded.Info.TestFingerprint == test.Fingerprint) return loaded;
                var error = loaded.Autoencoder.ReconstructionError(test);
                var variance = AutoencoderTraining.Variance(loaded.Autoencoder, test);
                return loaded with { Info = loaded.Info with { TestFingerprint = test.Fingerprint, TestCount = test.Count, TestReconstructionError = error, TestVariance = variance } };
            },
            train: () => AutoencoderTraining.TrainFor(train, test, options, progress),
            store: trained =>
            {
                var hash = ModelCacheEntry.SaveWeights(trained.Autoencoder, folder, ConvolutionalAutoencoder.ArchitectureVersion, train.Fingerprint);
                Json.WriteFile(infoPath, new CacheEntry(trained.Info, hash));
            },
            progress);
    }

    static TrainedAutoencoder Load(Dataset train, string folder, string infoPath)
    {
        var entry = Json.ReadFile<CacheEntry>(infoPath);
        var info = entry.Autoencoder ?? throw new InvalidDataException($"{infoPath}: the 'autoencoder' field is missing");
        var weightsPath = ModelCacheEntry.VerifiedWeights(folder, infoPath, entry.WeightsSha256, info.ArchitectureVersion, ConvolutionalAutoencoder.ArchitectureVersion, info.TrainingFingerprint, train);
        if (!new long[] { info.Channels, info.Height, info.Width }.SequenceEqual(train.SampleShape))
            throw new InvalidDataException($"{infoPath}: describes {info.Channels}×{info.Height}×{info.Width} images, but '{train.Name}' has [{string.Join(", ", train.SampleShape)}]");
        var model = ModelCacheEntry.LoadModule(() => new ConvolutionalAutoencoder(info.Channels, info.Height, info.Width), weightsPath);
        return new TrainedAutoencoder(model, info, LoadedFromCache: true);
    }

    /// <summary>The JSON of a cache entry: the autoencoder description and the SHA-256 of its weights file.</summary>
    sealed record CacheEntry(AutoencoderInfo? Autoencoder, string? WeightsSha256);
}
