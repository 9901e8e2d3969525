using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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
    public const string WeightsFile = "weights.safetensors";

    /// <summary>Description file name inside an entry.</summary>
    public const string InfoFile = "autoencoder.json";

    /// <summary>The entry folder for a training split and options, under <paramref name="cacheFolder"/> (default <see cref="CacheFolder.Default"/>).</summary>
    public static string EntryFolder(Dataset train, AutoencoderOptions? options = null, string? cacheFolder = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new AutoencoderOptions();
        var recipe = string.Create(CultureInfo.InvariantCulture,
            $"{ConvolutionalAutoencoder.ArchitectureVersion}\n{train.Fingerprint}\nseed={options.Seed}\nepochs={options.EpochsFor(train.Count)}\nbatch={options.BatchSize}\nlr={options.LearningRate:R}\n");
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(recipe)))[..16];
        return Path.Combine(cacheFolder ?? CacheFolder.Default(), "autoencoder", $"{ConvolutionalAutoencoder.ArchitectureVersion}-{key}");
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
        var weightsPath = Path.Combine(folder, WeightsFile);
        var infoPath = Path.Combine(folder, InfoFile);

        if (File.Exists(infoPath) || File.Exists(weightsPath))
        {
            try
            {
                var loaded = Load(train, weightsPath, infoPath);
                progress?.Report($"autoencoder ({train.Name}): loaded from {folder} (held-out reconstruction error {loaded.Info.TestReconstructionError:G3})");
                if (loaded.Info.TestFingerprint == test.Fingerprint) return loaded;
                var error = loaded.Autoencoder.ReconstructionError(test);
                var variance = AutoencoderTraining.Variance(loaded.Autoencoder, test);
                return loaded with { Info = loaded.Info with { TestFingerprint = test.Fingerprint, TestCount = test.Count, TestReconstructionError = error, TestVariance = variance } };
            }
            catch (Exception e) when (e is InvalidDataException or IOException or JsonException or UnauthorizedAccessException)
            {
                progress?.Report($"autoencoder ({train.Name}): the cache entry {folder} is unusable ({e.Message}); training a new one.");
            }
        }

        var trained = AutoencoderTraining.TrainFor(train, test, options, progress);
        try
        {
            ModuleWeights.Save(trained.Autoencoder, weightsPath, new Dictionary<string, string>
            {
                ["architecture"] = ConvolutionalAutoencoder.ArchitectureVersion,
                ["trainingFingerprint"] = train.Fingerprint,
            });
            Json.WriteFile(infoPath, new CacheEntry(trained.Info, HashFile(weightsPath)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            progress?.Report($"autoencoder ({train.Name}): could not write the cache entry {folder} ({e.Message}); the autoencoder is used without caching. Set {CacheFolder.EnvironmentVariable} to a writable folder.");
        }
        return trained;
    }

    static TrainedAutoencoder Load(Dataset train, string weightsPath, string infoPath)
    {
        var entry = Json.ReadFile<CacheEntry>(infoPath);
        var info = entry.Autoencoder ?? throw new InvalidDataException($"{infoPath}: the 'autoencoder' field is missing");
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: file not found", weightsPath);
        var hash = HashFile(weightsPath);
        if (hash != entry.WeightsSha256)
            throw new InvalidDataException($"{weightsPath}: SHA-256 {hash} differs from {entry.WeightsSha256} recorded in {InfoFile}; the file is damaged");
        if (info.ArchitectureVersion != ConvolutionalAutoencoder.ArchitectureVersion)
            throw new InvalidDataException($"{infoPath}: architecture '{info.ArchitectureVersion}', expected '{ConvolutionalAutoencoder.ArchitectureVersion}'");
        if (info.TrainingFingerprint != train.Fingerprint)
            throw new InvalidDataException($"{infoPath}: trained on data with fingerprint {info.TrainingFingerprint}, not {train.Fingerprint}");
        if (!new long[] { info.Channels, info.Height, info.Width }.SequenceEqual(train.SampleShape))
            throw new InvalidDataException($"{infoPath}: describes {info.Channels}×{info.Height}×{info.Width} images, but '{train.Name}' has [{string.Join(", ", train.SampleShape)}]");
        var model = new ConvolutionalAutoencoder(info.Channels, info.Height, info.Width);
        try
        {
            ModuleWeights.Load(model, weightsPath);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return new TrainedAutoencoder(model, info, LoadedFromCache: true);
    }

    static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The JSON of a cache entry: the autoencoder description and the SHA-256 of its weights file.</summary>
    sealed record CacheEntry(AutoencoderInfo? Autoencoder, string? WeightsSha256);
}
