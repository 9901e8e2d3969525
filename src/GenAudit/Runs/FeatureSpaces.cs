using GenAudit.Data;
using GenAudit.Models;

namespace GenAudit.Runs;

/// <summary>The feature space of one output kind: where quality, coverage, memorisation and feature-based stability are measured.</summary>
public interface IFeatureSpaceProvider
{
    /// <summary>The output kind served.</summary>
    OutputKind Kind { get; }

    /// <summary>
    /// The extractor for data <paramref name="train"/> (held-out <paramref name="test"/>, named <paramref name="dataName"/>
    /// in notes), and the feature classifier behind it when there is one.
    /// </summary>
    (IFeatureExtractor Extractor, TrainedFeatureClassifier? Classifier) Open(Dataset train, Dataset test, string dataName, IProgress<string>? progress);
}

/// <summary>The feature-space provider of each output kind.</summary>
public static class FeatureSpaces
{
    static readonly IFeatureSpaceProvider[] Providers = [new PointFeatureSpace(), new ImageFeatureSpace()];

    /// <summary>The provider of <paramref name="kind"/>.</summary>
    public static IFeatureSpaceProvider For(OutputKind kind) => Providers.Single(p => p.Kind == kind);
}

/// <summary>Points are their own features.</summary>
public sealed class PointFeatureSpace : IFeatureSpaceProvider
{
    /// <inheritdoc />
    public OutputKind Kind => OutputKind.Points;

    /// <inheritdoc />
    public (IFeatureExtractor Extractor, TrainedFeatureClassifier? Classifier) Open(Dataset train, Dataset test, string dataName, IProgress<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(train);
        return (new IdentityFeatureExtractor((int)train.SampleShape[0]), null);
    }
}

/// <summary>
/// Labelled images: the feature classifier's penultimate layer (trained once per data fingerprint and cached);
/// unlabelled images: the flattened pixels.
/// </summary>
public sealed class ImageFeatureSpace : IFeatureSpaceProvider
{
    /// <inheritdoc />
    public OutputKind Kind => OutputKind.Images;

    /// <inheritdoc />
    public (IFeatureExtractor Extractor, TrainedFeatureClassifier? Classifier) Open(Dataset train, Dataset test, string dataName, IProgress<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Labels is not null && train.ClassNames.Count >= 2)
        {
            var classifier = FeatureClassifierCache.GetOrTrain(train, test, progress: progress);
            return (new ClassifierFeatureExtractor(classifier), classifier);
        }
        progress?.Report($"'{dataName}' has no class labels: features are the flattened pixels");
        return (new IdentityFeatureExtractor(train.SampleSize), null);
    }
}
