using GenAudit.Data;
using GenAudit.Models;

namespace GenAudit.Runs;

/// <summary>
/// A feature space: where quality, coverage, memorisation and feature-based stability are measured. Each provider
/// says which data it serves; <see cref="FeatureSpaces.For"/> takes the first that does, so a new kind of data or
/// extractor is a new provider, not a branch.
/// </summary>
public interface IFeatureSpaceProvider
{
    /// <summary>Whether this provider serves data of <paramref name="kind"/> like <paramref name="train"/>.</summary>
    bool Serves(OutputKind kind, Dataset train);

    /// <summary>
    /// The extractor for data <paramref name="train"/> (held-out <paramref name="test"/>, named <paramref name="dataName"/>
    /// in notes), and the feature classifier behind it when there is one.
    /// </summary>
    (IFeatureExtractor Extractor, TrainedFeatureClassifier? Classifier) Open(Dataset train, Dataset test, string dataName, IProgress<string>? progress);
}

/// <summary>The feature-space providers, most specific first.</summary>
public static class FeatureSpaces
{
    static readonly IFeatureSpaceProvider[] Providers = [new PointFeatureSpace(), new StackedMnistFeatureSpace(), new ClassifierFeatureSpace(), new AutoencoderFeatureSpace(), new SeriesFeatureSpace(), new AudioFeatureSpace()];

    /// <summary>The first provider that serves <paramref name="kind"/> and <paramref name="train"/>, or null (token sequences have none).</summary>
    public static IFeatureSpaceProvider? Find(OutputKind kind, Dataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        return Providers.FirstOrDefault(p => p.Serves(kind, train));
    }

    /// <summary>The first provider that serves <paramref name="kind"/> and <paramref name="train"/>.</summary>
    public static IFeatureSpaceProvider For(OutputKind kind, Dataset train) =>
        Find(kind, train)
            ?? throw new ArgumentException($"No feature space serves {kind} data like '{train.Name}' ([{string.Join(", ", train.SampleShape)}]).", nameof(train));
}

/// <summary>Points are their own features.</summary>
public sealed class PointFeatureSpace : IFeatureSpaceProvider
{
    /// <inheritdoc />
    public bool Serves(OutputKind kind, Dataset train) => kind == OutputKind.Points;

    /// <inheritdoc />
    public (IFeatureExtractor Extractor, TrainedFeatureClassifier? Classifier) Open(Dataset train, Dataset test, string dataName, IProgress<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(train);
        return (new IdentityFeatureExtractor((int)train.SampleShape[0]), null);
    }
}

/// <summary>Images with at least two classes: the feature classifier's penultimate layer (trained once per data fingerprint and cached).</summary>
public sealed class ClassifierFeatureSpace : IFeatureSpaceProvider
{
    /// <inheritdoc />
    public bool Serves(OutputKind kind, Dataset train) => kind == OutputKind.Images && train.Labels is not null && train.ClassNames.Count >= 2;

    /// <inheritdoc />
    public (IFeatureExtractor Extractor, TrainedFeatureClassifier? Classifier) Open(Dataset train, Dataset test, string dataName, IProgress<string>? progress)
    {
        var classifier = FeatureClassifierCache.GetOrTrain(train, test, progress: progress);
        return (new ClassifierFeatureExtractor(classifier), classifier);
    }
}
