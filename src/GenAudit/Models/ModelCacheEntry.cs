using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GenAudit.Core;
using GenAudit.Data;
using static TorchSharp.torch;

namespace GenAudit.Models;

/// <summary>
/// The storage GenAudit's cached helper models share (the feature classifier, the folder autoencoder): one
/// folder per training recipe, <c>&lt;cache&gt;/&lt;kind&gt;/&lt;architecture&gt;-&lt;key&gt;/</c>, holding
/// <c>weights.safetensors</c> and a JSON description that records the SHA-256 of the weights. The key is the
/// first 16 hex digits of the SHA-256 of the recipe text. Both files are written atomically, the JSON last, so
/// an entry without a readable JSON is incomplete; an entry that cannot be read or does not match is reported and
/// retrained, and a cache that cannot be written is reported and the model used uncached: the cache never stops
/// the caller.
/// </summary>
internal static class ModelCacheEntry
{
    /// <summary>Weights file name inside an entry.</summary>
    public const string WeightsFile = "weights.safetensors";

    /// <summary>The entry folder of <paramref name="recipe"/> (every line that changes what is learned) under <paramref name="cacheFolder"/> (default <see cref="CacheFolder.Default"/>).</summary>
    public static string Folder(string? cacheFolder, string kind, string architecture, string recipe)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(recipe)))[..16];
        return Path.Combine(cacheFolder ?? CacheFolder.Default(), kind, $"{architecture}-{key}");
    }

    /// <summary>
    /// Loads the entry in <paramref name="folder"/> when one is there, else (or when it is unusable) trains and
    /// stores one. <paramref name="label"/> starts every progress message (e.g. "feature classifier (mnist)") and
    /// <paramref name="noun"/> names the model in the message of a cache that cannot be written.
    /// </summary>
    public static T GetOrTrain<T>(string folder, string infoFile, string label, string noun, Func<T> load, Func<T> train, Action<T> store, IProgress<string>? progress)
    {
        if (File.Exists(Path.Combine(folder, infoFile)) || File.Exists(Path.Combine(folder, WeightsFile)))
        {
            try
            {
                return load();
            }
            catch (Exception e) when (e is InvalidDataException or IOException or JsonException or UnauthorizedAccessException)
            {
                progress?.Report($"{label}: the cache entry {folder} is unusable ({e.Message}); training a new one.");
            }
        }

        var trained = train();
        try
        {
            store(trained);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            progress?.Report($"{label}: could not write the cache entry {folder} ({e.Message}); the {noun} is used without caching. Set {CacheFolder.EnvironmentVariable} to a writable folder.");
        }
        return trained;
    }

    /// <summary>Writes the weights of <paramref name="module"/> (atomically, with their architecture and training data in the metadata) and returns their SHA-256 for the description.</summary>
    public static string SaveWeights(nn.Module module, string folder, string architecture, string trainingFingerprint)
    {
        var weightsPath = Path.Combine(folder, WeightsFile);
        ModuleWeights.Save(module, weightsPath, new Dictionary<string, string>
        {
            ["architecture"] = architecture,
            ["trainingFingerprint"] = trainingFingerprint,
        });
        return HashFile(weightsPath);
    }

    /// <summary>
    /// The path of the entry's weights after checking them against the description: the file exists, its SHA-256
    /// is the recorded one, and the description's architecture and training data are the expected ones.
    /// </summary>
    public static string VerifiedWeights(string folder, string infoPath, string? recordedSha256, string architecture, string expectedArchitecture, string trainingFingerprint, Dataset train)
    {
        var weightsPath = Path.Combine(folder, WeightsFile);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: file not found", weightsPath);
        var hash = HashFile(weightsPath);
        if (hash != recordedSha256)
            throw new InvalidDataException($"{weightsPath}: SHA-256 {hash} differs from {recordedSha256} recorded in {Path.GetFileName(infoPath)}; the file is damaged");
        if (architecture != expectedArchitecture)
            throw new InvalidDataException($"{infoPath}: architecture '{architecture}', expected '{expectedArchitecture}'");
        if (trainingFingerprint != train.Fingerprint)
            throw new InvalidDataException($"{infoPath}: trained on data with fingerprint {trainingFingerprint}, not {train.Fingerprint}");
        return weightsPath;
    }

    /// <summary>Loads <paramref name="weightsPath"/> into a new module from <paramref name="create"/>, disposing it when the weights do not fit, and switches it to evaluation.</summary>
    public static TModule LoadModule<TModule>(Func<TModule> create, string weightsPath) where TModule : nn.Module
    {
        var module = create();
        try
        {
            ModuleWeights.Load(module, weightsPath);
        }
        catch
        {
            module.Dispose();
            throw;
        }
        module.eval();
        return module;
    }

    static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
