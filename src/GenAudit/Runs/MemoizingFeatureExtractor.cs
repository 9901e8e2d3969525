using System.Runtime.InteropServices;
using System.Security.Cryptography;
using static TorchSharp.torch;

namespace GenAudit.Runs;

/// <summary>
/// Computes the features of a batch once: a later batch with identical content (SHA-256 of its float32 values
/// and shape) gets copies of the stored result. Several audits of one dataset (the calibration's seven) then
/// extract the training and held-out features once instead of once per audit. Results are stored until
/// <see cref="MaxStoredValues"/> floats are held; later batches are computed and not stored.
/// </summary>
/// <param name="inner">The extractor whose results are stored; the caller keeps ownership.</param>
/// <param name="maxStoredValues">Most feature and probability values held. Default: 32 M (128 MB).</param>
public sealed class MemoizingFeatureExtractor(IFeatureExtractor inner, long maxStoredValues = 32L << 20) : IFeatureExtractor
{
    readonly Dictionary<string, (float[] Features, long[] FeatureShape, float[]? Probabilities, long[]? ProbabilityShape)> stored = [];
    long storedValues;

    /// <summary>Most values held.</summary>
    public long MaxStoredValues { get; } = maxStoredValues > 0 ? maxStoredValues : throw new ArgumentOutOfRangeException(nameof(maxStoredValues), maxStoredValues, "must be positive");

    /// <summary>Batches answered from the store.</summary>
    public int Hits { get; private set; }

    /// <inheritdoc />
    public int FeatureSize => inner.FeatureSize;

    /// <inheritdoc />
    public int ClassCount => inner.ClassCount;

    /// <inheritdoc />
    public double? ClassifierAccuracy => inner.ClassifierAccuracy;

    // The interface's defaults (null, a type name) would hide the inner extractor's: forward them, so
    // reports name the real feature space and caches keyed by the identity (the real row) still hit.

    /// <inheritdoc />
    public double? ReconstructionError => inner.ReconstructionError;

    /// <inheritdoc />
    public string Name => inner.Name;

    /// <inheritdoc />
    public string? Identity => inner.Identity;

    /// <inheritdoc />
    public (Tensor Features, Tensor? Probabilities) Extract(Tensor samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var key = Key(samples);
        if (stored.TryGetValue(key, out var hit))
        {
            Hits++;
            return (tensor(hit.Features, hit.FeatureShape), hit.Probabilities is null ? null : tensor(hit.Probabilities, hit.ProbabilityShape!));
        }
        var (features, probabilities) = inner.Extract(samples);
        var size = features.numel() + (probabilities?.numel() ?? 0);
        if (storedValues + size <= MaxStoredValues)
        {
            using var scope = NewDisposeScope();
            stored[key] = (features.contiguous().data<float>().ToArray(), features.shape,
                           probabilities?.contiguous().data<float>().ToArray(), probabilities?.shape);
            storedValues += size;
        }
        return (features, probabilities);
    }

    static string Key(Tensor samples)
    {
        using var scope = NewDisposeScope();
        var values = samples.detach().to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(MemoryMarshal.AsBytes(samples.shape.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(values.AsSpan()));
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
