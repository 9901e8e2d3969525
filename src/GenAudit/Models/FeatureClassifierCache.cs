using System.Globalization;
using GenAudit.Core;
using GenAudit.Data;

namespace GenAudit.Models;

/// <summary>
/// Trains a <see cref="FeatureClassifier"/> once per training set and reuses it: entries live under
/// <c>&lt;cache&gt;/feature-classifier/&lt;key&gt;/</c> as <c>weights.safetensors</c> and <c>classifier.json</c>
/// (a <see cref="FeatureClassifierInfo"/> and the SHA-256 of the weights), where the key hashes the architecture version, the training
/// data fingerprint and the training options.
/// </summary>
/// <remarks>
/// The cache folder is <c>$GENAUDIT_CACHE</c> when set, else <c>$XDG_CACHE_HOME/genaudit</c>, else
/// <c>~/.cache/genaudit</c>. Both files are written atomically, the JSON last, so an entry without a
/// readable JSON is incomplete. An entry that cannot be read or does not match is reported through the
/// progress callback and retrained; it never stops the caller.
/// </remarks>
public static class FeatureClassifierCache
{
    /// <summary>Environment variable that overrides the cache folder.</summary>
    public const string EnvironmentVariable = CacheFolder.EnvironmentVariable;

    /// <summary>Weights file name inside an entry.</summary>
    public const string WeightsFile = ModelCacheEntry.WeightsFile;

    /// <summary>Description file name inside an entry.</summary>
    public const string InfoFile = "classifier.json";

    /// <summary>The cache folder: $GENAUDIT_CACHE, else $XDG_CACHE_HOME/genaudit, else ~/.cache/genaudit (<see cref="CacheFolder.Default"/>).</summary>
    public static string DefaultFolder() => CacheFolder.Default();

    /// <summary>The entry folder for a training set and options, under <paramref name="cacheFolder"/> (default <see cref="DefaultFolder"/>).</summary>
    public static string EntryFolder(Dataset train, FeatureClassifierOptions? options = null, string? cacheFolder = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new FeatureClassifierOptions();
        // Threads do not enter the key: they change speed, not what is learned beyond rounding.
        var recipe = string.Create(CultureInfo.InvariantCulture,
            $"{FeatureClassifier.ArchitectureVersion}\n{train.Fingerprint}\nseed={options.Seed}\nepochs={options.EpochsFor(train.Count)}\nbatch={options.BatchSize}\nlr={options.LearningRate:R}\nshift={options.MaxShift}\n");
        return ModelCacheEntry.Folder(cacheFolder, "feature-classifier", FeatureClassifier.ArchitectureVersion, recipe);
    }

    /// <summary>
    /// Loads the cached classifier for <paramref name="train"/> and <paramref name="options"/>, or trains
    /// and caches one. When <paramref name="test"/> differs from the one the entry was measured on, the
    /// accuracy is measured again on it (no retraining).
    /// </summary>
    public static TrainedFeatureClassifier GetOrTrain(Dataset train, Dataset test, FeatureClassifierOptions? options = null,
        IProgress<string>? progress = null, string? cacheFolder = null)
    {
        options ??= new FeatureClassifierOptions();
        options.Validate();
        FeatureClassifier.CheckDatasets(train, test);
        var folder = EntryFolder(train, options, cacheFolder);
        var infoPath = Path.Combine(folder, InfoFile);
        return ModelCacheEntry.GetOrTrain(folder, InfoFile, $"feature classifier ({train.Name})", "classifier",
            load: () =>
            {
                var loaded = Load(train, folder, infoPath);
                progress?.Report($"feature classifier ({train.Name}): loaded from {folder} (held-out accuracy {loaded.Info.TestAccuracy:P2})");
                if (loaded.Info.TestFingerprint == test.Fingerprint) return loaded;
                var accuracy = loaded.Classifier.Accuracy(test);
                progress?.Report($"feature classifier ({train.Name}): accuracy {accuracy:P2} on {test.Count} images of '{test.Name}'");
                return loaded with { Info = loaded.Info with { TestFingerprint = test.Fingerprint, TestCount = test.Count, TestAccuracy = accuracy } };
            },
            train: () => FeatureClassifier.TrainFor(train, test, options, progress),
            store: trained =>
            {
                var hash = ModelCacheEntry.SaveWeights(trained.Classifier, folder, FeatureClassifier.ArchitectureVersion, train.Fingerprint);
                Json.WriteFile(infoPath, new CacheEntry(trained.Info, hash));
            },
            progress);
    }

    static TrainedFeatureClassifier Load(Dataset train, string folder, string infoPath)
    {
        var entry = Json.ReadFile<CacheEntry>(infoPath);
        var info = entry.Classifier ?? throw new InvalidDataException($"{infoPath}: the 'classifier' field is missing");
        var weightsPath = ModelCacheEntry.VerifiedWeights(folder, infoPath, entry.WeightsSha256, info.ArchitectureVersion, FeatureClassifier.ArchitectureVersion, info.TrainingFingerprint, train);
        if (!new long[] { info.Channels, info.Height, info.Width }.SequenceEqual(train.SampleShape) || info.ClassCount != train.ClassNames.Count)
            throw new InvalidDataException($"{infoPath}: describes {info.Channels}×{info.Height}×{info.Width} images of {info.ClassCount} classes, but '{train.Name}' has [{string.Join(", ", train.SampleShape)}] and {train.ClassNames.Count} classes");
        var classifier = ModelCacheEntry.LoadModule(() => new FeatureClassifier(info.Channels, info.Height, info.Width, info.ClassCount), weightsPath);
        return new TrainedFeatureClassifier(classifier, info, LoadedFromCache: true);
    }

    /// <summary>The JSON of a cache entry: the classifier description and the SHA-256 of its weights file.</summary>
    sealed record CacheEntry(FeatureClassifierInfo? Classifier, string? WeightsSha256);
}
