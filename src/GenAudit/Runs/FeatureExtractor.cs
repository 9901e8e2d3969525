using GenAudit.Models;
using static TorchSharp.torch;

namespace GenAudit.Runs;

/// <summary>Maps samples (images or points) to the feature space the quality metrics are computed in.</summary>
public interface IFeatureExtractor
{
    /// <summary>Feature dimension D.</summary>
    int FeatureSize { get; }

    /// <summary>Number of classes the extractor can predict; 0 when it only embeds.</summary>
    int ClassCount { get; }

    /// <summary>Held-out accuracy of the underlying classifier, or null when there is none.</summary>
    double? ClassifierAccuracy { get; }

    /// <summary>Held-out reconstruction error of the underlying autoencoder (its quality as an extractor), or null when there is none.</summary>
    double? ReconstructionError => null;

    /// <summary>Names the space the quality keys are measured in, for reports, e.g. "feature classifier (penultimate layer, D = 128)".</summary>
    string Name => $"{GetType().Name} (D = {FeatureSize})";

    /// <summary>
    /// Identifies the extractor's weights and settings (equal identities give equal features), for caches keyed
    /// by it; null when unknown, and then nothing computed with it is cached.
    /// </summary>
    string? Identity => null;

    /// <summary>
    /// Features (B, D) and class probabilities (B, K), or null when <see cref="ClassCount"/> is 0, of a batch
    /// of samples (B, ...); computed under no_grad, returned as new float32 CPU tensors owned by the caller.
    /// </summary>
    (Tensor Features, Tensor? Probabilities) Extract(Tensor samples);
}

/// <summary>The samples themselves are the features: used for 2D points (D = the point dimension).</summary>
/// <param name="dimension">Values per sample; each sample is flattened to one row.</param>
public sealed class IdentityFeatureExtractor(int dimension) : IFeatureExtractor
{
    /// <inheritdoc />
    public int FeatureSize { get; } = dimension > 0 ? dimension : throw new ArgumentOutOfRangeException(nameof(dimension), $"dimension is {dimension}; it must be positive.");

    /// <inheritdoc />
    public int ClassCount => 0;

    /// <inheritdoc />
    public double? ClassifierAccuracy => null;

    /// <inheritdoc />
    public string Name => $"identity (the raw values, D = {FeatureSize})";

    /// <inheritdoc />
    public string? Identity => $"identity:{FeatureSize}";

    /// <inheritdoc />
    public (Tensor Features, Tensor? Probabilities) Extract(Tensor samples)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = samples.detach().reshape(samples.shape[0], -1); // (B, D)
        if (flat.shape[1] != FeatureSize)
            throw new ArgumentException($"Samples have {flat.shape[1]} values each but the identity extractor was made for {FeatureSize}.", nameof(samples));
        return (flat.to(ScalarType.Float32, CPU).clone().MoveToOuterDisposeScope(), null);
    }
}

/// <summary>Features and class probabilities from a <see cref="FeatureClassifier"/> (D = 128), in eval mode.</summary>
public sealed class ClassifierFeatureExtractor : IFeatureExtractor
{
    readonly FeatureClassifier classifier;
    readonly int batchSize;

    /// <summary>
    /// Wraps <paramref name="classifier"/>; <paramref name="heldOutAccuracy"/> is reported with the results and
    /// <paramref name="identity"/> keys caches (null: not cached). The caller keeps ownership of the classifier.
    /// </summary>
    public ClassifierFeatureExtractor(FeatureClassifier classifier, double? heldOutAccuracy = null, int batchSize = FeatureClassifier.DefaultBatchSize, string? identity = null)
    {
        Identity = identity;
        ArgumentNullException.ThrowIfNull(classifier);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize is {batchSize}; it must be at least 1.");
        this.classifier = classifier;
        this.batchSize = batchSize;
        ClassifierAccuracy = heldOutAccuracy;
    }

    /// <summary>Wraps a trained (or cached) classifier and its held-out accuracy.</summary>
    public ClassifierFeatureExtractor(TrainedFeatureClassifier trained)
        : this(trained.Classifier, trained.Info.TestAccuracy, identity: IdentityOf(trained.Info))
    {
    }

    /// <summary>"classifier:" and the SHA-256 of the classifier's description (architecture, data fingerprints, seed, schedule; not its training time).</summary>
    public static string IdentityOf(FeatureClassifierInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return ExtractorIdentity.Of("classifier", info with { TrainingSeconds = 0 });
    }

    /// <inheritdoc />
    public string Name => FormattableString.Invariant($"feature classifier (penultimate layer, D = {FeatureSize}, {ClassCount} classes{(ClassifierAccuracy is { } a ? FormattableString.Invariant($", held-out accuracy {a:P1}") : "")})");

    /// <inheritdoc />
    public string? Identity { get; }

    /// <inheritdoc />
    public int FeatureSize => FeatureClassifier.FeatureSize;

    /// <inheritdoc />
    public int ClassCount => classifier.ClassCount;

    /// <inheritdoc />
    public double? ClassifierAccuracy { get; }

    /// <inheritdoc />
    public (Tensor Features, Tensor? Probabilities) Extract(Tensor samples)
    {
        using var scope = NewDisposeScope();
        var (features, probabilities) = classifier.Embed(samples.detach().to(ScalarType.Float32, CPU), batchSize);
        return (features.MoveToOuterDisposeScope(), probabilities.MoveToOuterDisposeScope());
    }
}

/// <summary>Identities of feature extractors: a kind prefix and the SHA-256 of the extractor's description.</summary>
internal static class ExtractorIdentity
{
    /// <summary>"<paramref name="kind"/>:" and the first 16 hex digits of the SHA-256 of <paramref name="description"/> as compact JSON.</summary>
    internal static string Of<T>(string kind, T description)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(description, Core.Json.Compact);
        return kind + ":" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json)))[..16];
    }
}
