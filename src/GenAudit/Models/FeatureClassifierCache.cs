using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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
    public const string EnvironmentVariable = "GENAUDIT_CACHE";

    /// <summary>Weights file name inside an entry.</summary>
    public const string WeightsFile = "weights.safetensors";

    /// <summary>Description file name inside an entry.</summary>
    public const string InfoFile = "classifier.json";

    /// <summary>The cache folder: $GENAUDIT_CACHE, else $XDG_CACHE_HOME/genaudit, else ~/.cache/genaudit.</summary>
    public static string DefaultFolder()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } explicitFolder) return explicitFolder;
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "genaudit");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "genaudit");
    }

    /// <summary>The entry folder for a training set and options, under <paramref name="cacheFolder"/> (default <see cref="DefaultFolder"/>).</summary>
    public static string EntryFolder(Dataset train, FeatureClassifierOptions? options = null, string? cacheFolder = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new FeatureClassifierOptions();
        // Threads do not enter the key: they change speed, not what is learned beyond rounding.
        var recipe = string.Create(CultureInfo.InvariantCulture,
            $"{FeatureClassifier.ArchitectureVersion}\n{train.Fingerprint}\nseed={options.Seed}\nepochs={options.EpochsFor(train.Count)}\nbatch={options.BatchSize}\nlr={options.LearningRate:R}\nshift={options.MaxShift}\n");
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(recipe)))[..16];
        return Path.Combine(cacheFolder ?? DefaultFolder(), "feature-classifier", $"{FeatureClassifier.ArchitectureVersion}-{key}");
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
        var weightsPath = Path.Combine(folder, WeightsFile);
        var infoPath = Path.Combine(folder, InfoFile);

        if (File.Exists(infoPath) || File.Exists(weightsPath))
        {
            try
            {
                var loaded = Load(train, weightsPath, infoPath);
                progress?.Report($"feature classifier ({train.Name}): loaded from {folder} (held-out accuracy {loaded.Info.TestAccuracy:P2})");
                if (loaded.Info.TestFingerprint == test.Fingerprint) return loaded;
                var accuracy = loaded.Classifier.Accuracy(test);
                progress?.Report($"feature classifier ({train.Name}): accuracy {accuracy:P2} on {test.Count} images of '{test.Name}'");
                return loaded with { Info = loaded.Info with { TestFingerprint = test.Fingerprint, TestCount = test.Count, TestAccuracy = accuracy } };
            }
            catch (Exception e) when (e is InvalidDataException or IOException or JsonException or UnauthorizedAccessException)
            {
                progress?.Report($"feature classifier ({train.Name}): the cache entry {folder} is unusable ({e.Message}); training a new one.");
            }
        }

        var trained = FeatureClassifier.TrainFor(train, test, options, progress);
        try
        {
            ModuleWeights.Save(trained.Classifier, weightsPath, new Dictionary<string, string>
            {
                ["architecture"] = FeatureClassifier.ArchitectureVersion,
                ["trainingFingerprint"] = train.Fingerprint,
            });
            Json.WriteFile(infoPath, new CacheEntry(trained.Info, HashFile(weightsPath)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            progress?.Report($"feature classifier ({train.Name}): could not write the cache entry {folder} ({e.Message}); the classifier is used without caching. Set {EnvironmentVariable} to a writable folder.");
        }
        return trained;
    }

    static TrainedFeatureClassifier Load(Dataset train, string weightsPath, string infoPath)
    {
        var entry = Json.ReadFile<CacheEntry>(infoPath);
        var info = entry.Classifier ?? throw new InvalidDataException($"{infoPath}: the 'classifier' field is missing");
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: file not found", weightsPath);
        var hash = HashFile(weightsPath);
        if (hash != entry.WeightsSha256)
            throw new InvalidDataException($"{weightsPath}: SHA-256 {hash} differs from {entry.WeightsSha256} recorded in {InfoFile}; the file is damaged");
        if (info.ArchitectureVersion != FeatureClassifier.ArchitectureVersion)
            throw new InvalidDataException($"{infoPath}: architecture '{info.ArchitectureVersion}', expected '{FeatureClassifier.ArchitectureVersion}'");
        if (info.TrainingFingerprint != train.Fingerprint)
            throw new InvalidDataException($"{infoPath}: trained on data with fingerprint {info.TrainingFingerprint}, not {train.Fingerprint}");
        if (!new long[] { info.Channels, info.Height, info.Width }.SequenceEqual(train.SampleShape) || info.ClassCount != train.ClassNames.Count)
            throw new InvalidDataException($"{infoPath}: describes {info.Channels}×{info.Height}×{info.Width} images of {info.ClassCount} classes, but '{train.Name}' has [{string.Join(", ", train.SampleShape)}] and {train.ClassNames.Count} classes");
        var classifier = new FeatureClassifier(info.Channels, info.Height, info.Width, info.ClassCount);
        try
        {
            ModuleWeights.Load(classifier, weightsPath);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
        classifier.eval();
        return new TrainedFeatureClassifier(classifier, info, LoadedFromCache: true);
    }

    static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The JSON of a cache entry: the classifier description and the SHA-256 of its weights file.</summary>
    sealed record CacheEntry(FeatureClassifierInfo? Classifier, string? WeightsSha256);
}
